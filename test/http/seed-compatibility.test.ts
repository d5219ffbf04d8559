import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningParley, startParley } from "../support/parley-server.js";

const run = promisify(execFile);

/**
 * The seed documents' curl examples, as README shows them in Parley's form (paths under /v1),
 * run through bash and the real curl/jq against a real Parley. Only the host is substituted.
 */
async function shell(script: string, baseUrl: string): Promise<string> {
	const localized = script
		.replaceAll("http://127.0.0.1:8000", baseUrl)
		.replaceAll("http://localhost:8000", baseUrl)
		.replaceAll("localhost:8000", baseUrl);
	const { stdout } = await run("bash", ["-euo", "pipefail", "-c", localized], { timeout: 20_000 });
	return stdout;
}

const lastJson = (output: string) => JSON.parse(output.trim().split("\n").at(-1) as string) as Record<string, unknown>;

describe("seed documents' curl examples work verbatim", () => {
	let parley: RunningParley;
	beforeAll(async () => {
		parley = await startParley();
	});
	afterAll(() => parley.close());

	it("awsProject: dev login by email, health, generate with an Idempotency-Key", async () => {
		const output = await shell(
			`
TOKEN=$(curl -s -X POST http://127.0.0.1:8000/v1/auth/login \\
  -H "Content-Type: application/json" \\
  -d '{"email": "teste@example.com"}' | jq -r .access_token)
curl -s http://127.0.0.1:8000/v1/health; echo
curl -s -X POST http://127.0.0.1:8000/v1/generate \\
  -H "Authorization: Bearer $TOKEN" \\
  -H "Content-Type: application/json" \\
  -H "Idempotency-Key: my-unique-key" \\
  -d '{"prompt":"Como funciona RAG?"}'
`,
			parley.url,
		);
		const [health, generated] = output
			.trim()
			.split("\n")
			.map((line) => JSON.parse(line));
		expect(health).toMatchObject({ status: "ok" });
		expect(generated).toMatchObject({
			generated: expect.stringMatching(/\[1\]/),
			user: { email: "teste@example.com", "custom:roles": ["user"] },
			request_id: expect.any(String),
		});
		// A fresh install answers from its demo knowledge base, in the seed's shape: passage texts.
		expect(generated.context.length).toBeGreaterThan(0);
		expect(generated.context.join(" ")).toMatch(/RAG/);
		expect(generated.citations[0]).toMatchObject({ number: 1, title: expect.stringMatching(/RAG/) });
	});

	it("Serverless Chat API: health and chat with a userId, no credentials (development mode)", async () => {
		const output = await shell(
			`
curl -s localhost:8000/v1/health; echo
curl -s -X POST localhost:8000/v1/chat \\
  -H "Content-Type: application/json" \\
  -d '{"userId": "user123", "prompt": "Olá!"}'
`,
			parley.url,
		);
		const chat = lastJson(output);
		expect(chat).toMatchObject({
			interaction_id: expect.any(String),
			userId: expect.any(String),
			prompt: "Olá!",
			response: expect.stringContaining("Olá!"),
			model: expect.any(String),
			timestamp: expect.any(String),
		});
	});

	it("polyglot persistence: register/login by username, profile, chat with chat_id, history with tokens", async () => {
		const output = await shell(
			`
curl -s -X POST http://localhost:8000/v1/auth/register -H 'Content-Type: application/json' \\
  -d '{"username": "poly", "password": "poly-password"}' > /dev/null
TOKEN=$(curl -s -X POST http://localhost:8000/v1/auth/login -H 'Content-Type: application/json' \\
  -d '{"username": "poly", "password": "poly-password"}' | jq -r .access_token)
curl -s http://localhost:8000/v1/user/profile -H "Authorization: Bearer $TOKEN"; echo
curl -s -X PUT http://localhost:8000/v1/user/profile -H "Authorization: Bearer $TOKEN" \\
  -H 'Content-Type: application/json' -d '{"name": "Poly", "preferences": {"tone": "formal"}}'; echo
CHAT=$(curl -s -X POST http://localhost:8000/v1/chat -H "Authorization: Bearer $TOKEN" \\
  -H 'Content-Type: application/json' -d '{"chat_id": "", "prompt": "sou um desenvolvedor de software", "model": ""}' | jq -r .conversation_id)
curl -s "http://localhost:8000/v1/chat?chat_id=$CHAT" -H "Authorization: Bearer $TOKEN"
`,
			parley.url,
		);
		const lines = output
			.trim()
			.split("\n")
			.map((line) => JSON.parse(line) as Record<string, unknown>);
		expect(lines[0]).toMatchObject({ username: "poly", email: null });
		expect(lines[1]).toMatchObject({ name: "Poly", preferences: { tone: "formal" } });
		expect(lines[2]).toMatchObject({ message_count: 2, usage: { total_tokens: expect.any(Number) } });
	});

	it("Prompt Service: register with a trailing slash, login → .access, refresh {refresh} → access", async () => {
		const output = await shell(
			`
curl -s -X POST http://localhost:8000/v1/auth/register/ \\
  -H 'Content-Type: application/json' \\
  -d '{"username":"alice","email":"a@b.c","password":"secret123"}' > /dev/null
ACCESS=$(curl -s -X POST http://localhost:8000/v1/auth/login/ \\
  -H 'Content-Type: application/json' \\
  -d '{"username":"alice","password":"secret123"}' | jq -r .access)
REFRESH=$(curl -s -X POST http://localhost:8000/v1/auth/login/ \\
  -H 'Content-Type: application/json' \\
  -d '{"username":"alice","password":"secret123"}' | jq -r .refresh)
curl -s http://localhost:8000/v1/users/me -H "Authorization: Bearer $ACCESS"; echo
curl -s -X POST http://localhost:8000/v1/prompts \\
  -H "Authorization: Bearer $ACCESS" -H 'Content-Type: application/json' \\
  -d '{"prompt":"hola mundo","websocket":false}' > /dev/null
curl -s -H "Authorization: Bearer $ACCESS" \\
  'http://localhost:8000/v1/prompts/similar?q=hola&k=3'; echo
curl -s -X POST http://localhost:8000/v1/auth/refresh/ -H 'Content-Type: application/json' \\
  -d "{\\"refresh\\": \\"$REFRESH\\"}" | jq -r .access
`,
			parley.url,
		);
		const [me, similar, refreshedAccess] = output.trim().split("\n");
		expect(JSON.parse(me as string)).toMatchObject({ username: "alice", email: "a@b.c" });
		expect(JSON.parse(similar as string).data[0]).toMatchObject({ prompt: "hola mundo" });
		expect(refreshedAccess).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
	});
});
