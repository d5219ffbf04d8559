import { parseArgs } from "node:util";
import { startFakeUpstream } from "./fake-upstream.js";

/**
 * Runs the fake OpenAI-compatible upstream on its own, for benchmarks in a child process:
 *   node --import tsx test/support/fake-upstream-cli.ts --port 0 --fast
 * Prints the base URL (http://127.0.0.1:PORT/v1) as the first line of stdout.
 */
const { values } = parseArgs({
	options: {
		port: { type: "string", default: "0" },
		fast: { type: "boolean", default: false },
		"base-path": { type: "string", default: "/v1" },
	},
});

const upstream = await startFakeUpstream({
	port: Number(values.port),
	fast: values.fast,
	basePath: values["base-path"],
});
process.stdout.write(`${upstream.url}\n`);

async function shutDown(): Promise<void> {
	await upstream.close();
	process.exit(0);
}
process.once("SIGTERM", shutDown);
process.once("SIGINT", shutDown);
