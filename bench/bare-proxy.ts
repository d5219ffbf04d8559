import Fastify from "fastify";
import { Pool } from "undici";

/**
 * The least any Node proxy does per request: Fastify parses the JSON body, undici forwards it
 * over a keep-alive pool, the upstream's answer is parsed and sent back. No auth, validation,
 * resilience, storage or logging. Run in the same benchmark, it shows what Parley adds on top,
 * as opposed to what HTTP in plus HTTP out costs on this machine.
 */
const port = Number(process.env.PORT);
const upstream = new URL(process.env.UPSTREAM_URL as string);
const pool = new Pool(upstream.origin, { connections: null });
const path = `${upstream.pathname.replace(/\/+$/, "")}/chat/completions`;

const app = Fastify({ logger: false });
app.post("/v1/chat/completions", async (request, reply) => {
	const response = await pool.request({
		path,
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify(request.body),
	});
	const body = Buffer.from(await response.body.arrayBuffer());
	// Parley parses the answer for usage accounting; so does the reference.
	JSON.parse(body.toString("utf8"));
	return reply.code(response.statusCode).type("application/json").send(body);
});
app.get("/health", async () => ({ status: "ok" }));
await app.listen({ host: "127.0.0.1", port });
