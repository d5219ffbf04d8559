import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/app.js";
import { type Config, loadConfig } from "../../src/config.js";
import type { LanguageModelAdapter } from "../../src/llm/model-port.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";

export interface RunningParley {
	url: string;
	config: Config;
	runtime: Runtime;
	app: FastifyInstance;
	dataDirectory: string;
	/** Every log line written so far, as raw JSON text. */
	logLines: string[];
	close(): Promise<void>;
}

/**
 * A real Parley: the production composition root and app, listening on 127.0.0.1 on a free port,
 * with its own temporary data directory and SQLite file. Logs are captured for inspection.
 *
 * With PARLEY_TEST_STORE=postgres in the test process's environment, a server not given a
 * DATABASE_URL gets a fresh PostgreSQL database of its own instead (test/support/postgres.ts),
 * dropped when it closes: `PARLEY_TEST_STORE=postgres npx vitest run test/http/usage.test.ts`
 * runs a black-box suite unchanged against the distributed store.
 */
export async function startParley(
	environment: Record<string, string> = {},
	options: { adapters?: Map<string, LanguageModelAdapter> } = {},
): Promise<RunningParley> {
	const postgres: TestDatabase | undefined =
		environment.DATABASE_URL === undefined && process.env.PARLEY_TEST_STORE === "postgres"
			? await createTestDatabase()
			: undefined;
	try {
		return await startParleyOn(
			{ ...environment, ...(postgres ? { DATABASE_URL: postgres.url } : {}) },
			options,
			postgres,
		);
	} catch (error) {
		await postgres?.drop();
		throw error;
	}
}

async function startParleyOn(
	environment: Record<string, string>,
	options: { adapters?: Map<string, LanguageModelAdapter> },
	postgres: TestDatabase | undefined,
): Promise<RunningParley> {
	const dataDirectory = environment.DATA_DIR ?? (await mkdtemp(path.join(tmpdir(), "parley-test-")));
	const config = loadConfig(
		{},
		{
			DATA_DIR: dataDirectory,
			HOST: "127.0.0.1",
			PORT: "0",
			NODE_ENV: "test",
			LOG_LEVEL: "info",
			// Suites register many users from one address; rate-limits.test.ts turns limits on.
			RATE_LIMIT_ENABLED: "false",
			...environment,
		},
	);
	const logLines: string[] = [];
	const logDestination = new Writable({
		write(chunk, _encoding, callback) {
			for (const line of String(chunk).split("\n")) if (line) logLines.push(line);
			callback();
		},
	});
	const runtime = await createRuntime(config, { logDestination, adapters: options.adapters });
	const app = await buildApp(runtime.dependencies);
	const address = await app.listen({ host: "127.0.0.1", port: 0 });
	return {
		url: address,
		config,
		runtime,
		app,
		dataDirectory,
		logLines,
		async close() {
			await app.close();
			await runtime.close();
			await postgres?.drop();
			await rm(dataDirectory, { recursive: true, force: true });
		},
	};
}
