import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import {
	type ChildServer,
	startBareProxy,
	startFakeUpstream,
	startParley,
	startPortkey,
	stopAll,
} from "./processes.js";
import { describeMachine, renderFailures, renderMarkdown, writeJson } from "./report.js";
import {
	hasField,
	type LoadResult,
	type LoadScenario,
	type LoadSettings,
	measureStreams,
	runLoad,
	type StreamResult,
} from "./scenarios.js";

/**
 * `npm run bench [-- --duration 10 --connections 50 --only chat-mock,proxy]`: Parley against the
 * fast fake upstream and Portkey, all in one run so the ratios between them mean something.
 */

const root = fileURLToPath(new URL("..", import.meta.url));
const scenarioNames = [
	"chat-mock",
	"chat-grounded",
	"chat-postgres",
	"proxy",
	"bare-proxy",
	"direct",
	"portkey",
	"stream-ttft",
] as const;
type ScenarioName = (typeof scenarioNames)[number];
const streamCount = 500;
const streamWarmUp = 50;

const { values } = parseArgs({
	options: {
		duration: { type: "string", default: "10" },
		connections: { type: "string", default: "50" },
		only: { type: "string" },
	},
});
const settings: LoadSettings = {
	durationSeconds: positiveNumber("--duration", values.duration),
	connections: positiveNumber("--connections", values.connections),
	warmUpSeconds: 2,
};
const selected = new Set<ScenarioName>(values.only === undefined ? scenarioNames : parseOnly(values.only));

function positiveNumber(option: string, text: string): number {
	const value = Number(text);
	if (!Number.isInteger(value) || value <= 0) fail(`${option} must be a positive integer, got "${text}"`);
	return value;
}

function parseOnly(text: string): ScenarioName[] {
	const names = text
		.split(",")
		.map((name) => name.trim())
		.filter((name) => name.length > 0);
	for (const name of names) {
		if (!(scenarioNames as readonly string[]).includes(name)) {
			fail(`--only: unknown scenario "${name}" (known: ${scenarioNames.join(", ")})`);
		}
	}
	return names as ScenarioName[];
}

function fail(message: string): never {
	console.error(`bench: ${message}`);
	process.exit(2);
}

function log(message: string): void {
	// Progress goes to stderr so stdout carries only the report.
	console.error(`[bench] ${message}`);
}

/** dist/ must match src/: the benchmark measures what `npm run build` produces. */
function build(): void {
	log("building (tsc -p tsconfig.build.json)");
	const result = spawnSync(path.join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.build.json"], {
		cwd: root,
		stdio: "inherit",
	});
	if (result.status !== 0) fail(`build failed (exit ${result.status ?? result.signal}); fix src/ or the build first`);
}

async function postJson<T>(url: string, body: unknown, token?: string): Promise<T> {
	const response = await fetch(url, {
		method: "POST",
		headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
		body: JSON.stringify(body),
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`POST ${url} answered HTTP ${response.status}: ${text}`);
	return JSON.parse(text) as T;
}

const completionBody = JSON.stringify({
	model: "openai-compatible/gpt-4o-mini",
	messages: [{ role: "user", content: "Hello" }],
});
const streamBody = JSON.stringify({
	model: "openai-compatible/gpt-4o-mini",
	stream: true,
	messages: [{ role: "user", content: "Hello" }],
});

/** Parley's SQLite file and signing key: fresh each run, removed on every way out. */
let dataDirectory: string | undefined;
/** The fresh PostgreSQL database of the chat-postgres scenario, dropped on every way out. */
let postgresDatabase: string | undefined;
const postgresServer = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function withPostgres<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({ connectionString: postgresServer, connectionTimeoutMillis: 2000 });
	await client.connect();
	try {
		return await work(client);
	} finally {
		await client.end();
	}
}

/** A fresh database for a second Parley on PostgreSQL, or undefined when no PostgreSQL answers. */
async function createPostgresDatabase(): Promise<string | undefined> {
	const name = `parley_bench_${process.pid}_${Date.now()}`;
	try {
		await withPostgres((client) => client.query(`CREATE DATABASE ${name}`));
	} catch (error) {
		log(`chat-postgres skipped: no PostgreSQL at ${postgresServer} (${(error as Error).message})`);
		return undefined;
	}
	postgresDatabase = name;
	const url = new URL(postgresServer);
	url.pathname = `/${name}`;
	return url.toString();
}

async function cleanUp(): Promise<void> {
	await stopAll();
	if (dataDirectory !== undefined) rmSync(dataDirectory, { recursive: true, force: true });
	const database = postgresDatabase;
	postgresDatabase = undefined;
	if (database !== undefined) {
		await withPostgres((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).catch(() => {});
	}
}

async function main(): Promise<number> {
	build();
	dataDirectory = mkdtempSync(path.join(tmpdir(), "parley-bench-"));
	const serverOf = new Map<string, ChildServer>();
	const loads: LoadResult[] = [];
	let streams: StreamResult[] = [];
	try {
		log(`starting the fake upstream, Parley${selected.has("portkey") ? " and Portkey" : ""}`);
		const upstream = await startFakeUpstream(root);
		const parley = await startParley(root, {
			DATA_DIR: dataDirectory,
			// production refuses dev login; development with dev login is the one setting that runs as is.
			NODE_ENV: "development",
			AUTH_DEV_LOGIN: "true",
			// Request logs are part of what a request costs in production: keep them, into /dev/null.
			LOG_LEVEL: "info",
			LLM_PROVIDER: "mock",
			OPENAI_COMPATIBLE_BASE_URL: `${upstream.url}/v1`,
			// One user at thousands of requests per second: the limiter stays on the path (its cost is
			// measured) with a limit the load never reaches.
			RATE_LIMIT_PER_MINUTE: "1000000000",
		});
		const postgresUrl = selected.has("chat-postgres") ? await createPostgresDatabase() : undefined;
		// The same Parley on PostgreSQL: chat on both stores in one run, as issue 5 asks.
		const parleyOnPostgres =
			postgresUrl === undefined
				? undefined
				: await startParley(root, {
						DATA_DIR: mkdtempSync(path.join(dataDirectory, "postgres-")),
						DATABASE_URL: postgresUrl,
						NODE_ENV: "development",
						AUTH_DEV_LOGIN: "true",
						LOG_LEVEL: "info",
						LLM_PROVIDER: "mock",
						RATE_LIMIT_PER_MINUTE: "1000000000",
					});
		const postgresToken =
			parleyOnPostgres &&
			(
				await postJson<{ access_token: string }>(`${parleyOnPostgres.url}/v1/auth/login`, {
					email: "bench@example.com",
				})
			).access_token;
		const portkey = selected.has("portkey") ? await startPortkey(root) : undefined;
		const bareProxy = selected.has("bare-proxy") ? await startBareProxy(root, `${upstream.url}/v1`) : undefined;
		log(`upstream ${upstream.url} (pid ${upstream.pid}), parley ${parley.url} (pid ${parley.pid})`);
		if (portkey) log(`portkey ${portkey.url} (pid ${portkey.pid})`);

		const login = await postJson<{ access_token: string }>(`${parley.url}/v1/auth/login`, {
			email: "bench@example.com",
		});
		const token = login.access_token;
		const { key: apiKey } = await postJson<{ key: string }>(`${parley.url}/v1/api-keys`, { name: "bench" }, token);

		const scenarios: LoadScenario[] = [
			{
				name: "chat-mock",
				description: "`POST /v1/chat` `rag: false`, mock model, new conversation stored per request (the core path)",
				url: `${parley.url}/v1/chat`,
				headers: { authorization: `Bearer ${token}` },
				body: JSON.stringify({ prompt: "Hello, how are you today?", rag: false }),
				server: parley,
				checkBody: hasField("interaction_id"),
			},
			{
				name: "chat-grounded",
				description:
					"`POST /v1/chat` with retrieval (default): hybrid search of the demo knowledge base, memory, cited mock answer",
				url: `${parley.url}/v1/chat`,
				headers: { authorization: `Bearer ${token}` },
				body: JSON.stringify({ prompt: "Como funciona RAG?" }),
				server: parley,
				checkBody: (body: string) => (body.includes('"document_id"') ? undefined : "the answer cites no passage"),
			},
			...(parleyOnPostgres
				? [
						{
							name: "chat-postgres",
							description: "chat-mock on a second Parley whose store is PostgreSQL (a fresh database on 127.0.0.1)",
							url: `${parleyOnPostgres.url}/v1/chat`,
							headers: { authorization: `Bearer ${postgresToken}` },
							body: JSON.stringify({ prompt: "Hello, how are you today?", rag: false }),
							server: parleyOnPostgres,
							checkBody: hasField("interaction_id"),
						},
					]
				: []),
			{
				name: "proxy",
				description: "`POST /v1/chat/completions` via Parley (API key) to the fake upstream, call recorded",
				url: `${parley.url}/v1/chat/completions`,
				headers: { authorization: `Bearer ${apiKey}` },
				body: completionBody,
				server: parley,
				checkBody: hasField("choices"),
			},
			...(bareProxy
				? [
						{
							name: "bare-proxy",
							description: "the same request via a bare Fastify + undici pass-through (bench/bare-proxy.ts)",
							url: `${bareProxy.url}/v1/chat/completions`,
							headers: {},
							body: completionBody,
							server: bareProxy,
							checkBody: hasField("choices"),
						},
					]
				: []),
			{
				name: "direct",
				description: "the same request straight to the fake upstream (ceiling)",
				url: `${upstream.url}/v1/chat/completions`,
				headers: {},
				body: completionBody,
				server: upstream,
				checkBody: hasField("choices"),
			},
		];
		if (portkey) {
			scenarios.push({
				name: "portkey",
				description: "the same request via Portkey gateway 1.15.2 to the fake upstream",
				url: `${portkey.url}/v1/chat/completions`,
				headers: {
					authorization: "Bearer anything",
					"x-portkey-provider": "openai",
					"x-portkey-custom-host": `${upstream.url}/v1`,
				},
				body: completionBody,
				server: portkey,
				checkBody: hasField("choices"),
			});
		}

		for (const scenario of scenarios) {
			if (!selected.has(scenario.name as ScenarioName)) continue;
			serverOf.set(scenario.name, scenario.server);
			log(`${scenario.name}: ${settings.warmUpSeconds} s warm-up, then ${settings.durationSeconds} s`);
			const result = await runLoad(scenario, settings);
			loads.push(result);
			log(
				`${scenario.name}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.latencyMs.p50} ms, ` +
					`p99 ${result.latencyMs.p99} ms${result.failure ? `, FAILED: ${result.failure}` : ""}`,
			);
		}

		if (selected.has("stream-ttft")) {
			log(`stream-ttft: ${streamCount} sequential streams each through Parley and direct`);
			streams = await measureStreams(
				[
					{
						name: "parley",
						url: `${parley.url}/v1/chat/completions`,
						headers: { authorization: `Bearer ${apiKey}` },
						body: streamBody,
					},
					{ name: "direct", url: `${upstream.url}/v1/chat/completions`, headers: {}, body: streamBody },
				],
				streamCount,
				streamWarmUp,
			);
			serverOf.set("stream-ttft", parley);
		}
	} finally {
		await cleanUp();
	}

	const argv = process.argv.slice(2);
	const machine = describeMachine(`npm run bench${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`);
	process.stdout.write(renderMarkdown(machine, settings, loads, streams, streamCount));
	const failures = renderFailures(loads, streams, (name) => serverOf.get(name)?.stderrTail() ?? "");
	if (failures.length > 0) console.error(`\n${failures}`);
	const serverStderr = Object.fromEntries(
		[...new Set(serverOf.values())].map((server) => [server.name, server.stderrTail()]),
	);
	const file = writeJson(path.join(root, "bench/results"), { machine, settings, loads, streams, serverStderr });
	log(`results written to ${path.relative(root, file)}`);
	const failed =
		loads.some((load) => load.failure !== undefined) || streams.some((stream) => stream.failure !== undefined);
	if (failed) console.error("\nbench: at least one scenario FAILED; its numbers are not valid");
	return failed ? 1 : 0;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.once(signal, () => {
		log(`${signal}: stopping the servers`);
		void cleanUp().finally(() => process.exit(130));
	});
}

main().then(
	(code) => process.exit(code),
	async (error: unknown) => {
		console.error(error);
		await cleanUp();
		process.exit(1);
	},
);
