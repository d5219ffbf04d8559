import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

/** A server the benchmark started in its own process; only these are ever signalled. */
export interface ChildServer {
	readonly name: string;
	readonly pid: number;
	/** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
	readonly url: string;
	/** The last lines the process wrote to stderr, to explain a crash or a wave of errors. */
	stderrTail(): string;
	/** "code 1" or "signal SIGKILL" once the process has exited, undefined while it runs. */
	exitStatus(): string | undefined;
}

const started = new Map<number, ChildProcess>();
const stderrLimit = 64 * 1024;

/** A port free right now on loopback; the tiny race until the child binds it is acceptable here. */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = createServer();
		probe.once("error", reject);
		probe.listen(0, "127.0.0.1", () => {
			const address = probe.address();
			const port = typeof address === "object" && address !== null ? address.port : 0;
			probe.close(() => resolve(port));
		});
	});
}

interface SpawnOptions {
	name: string;
	args: string[];
	cwd: string;
	environment: Record<string, string>;
	/** Keep stdout readable (to learn the URL the child prints); otherwise it goes to /dev/null. */
	readStdout?: boolean;
}

interface Spawned {
	child: ChildProcess;
	stderrTail: () => string;
}

function spawnServer(options: SpawnOptions): Spawned {
	// A minimal environment: provider keys or DATABASE_URL from the caller's shell must not leak in.
	const environment = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.environment };
	const child = spawn(process.execPath, options.args, {
		cwd: options.cwd,
		env: environment,
		stdio: ["ignore", options.readStdout ? "pipe" : "ignore", "pipe"],
	});
	if (child.pid === undefined) throw new Error(`${options.name}: could not start ${options.args.join(" ")}`);
	started.set(child.pid, child);
	child.once("exit", () => started.delete(child.pid as number));
	let stderr = "";
	child.stderr?.setEncoding("utf8");
	child.stderr?.on("data", (chunk: string) => {
		stderr = (stderr + chunk).slice(-stderrLimit);
	});
	return { child, stderrTail: () => stderr.split("\n").slice(-40).join("\n") };
}

function toChildServer(name: string, { child, stderrTail }: Spawned, url: string): ChildServer {
	return {
		name,
		pid: child.pid as number,
		url,
		stderrTail,
		exitStatus: () => {
			if (child.exitCode !== null) return `code ${child.exitCode}`;
			return child.signalCode === null ? undefined : `signal ${child.signalCode}`;
		},
	};
}

/**
 * Settles with `ready`, or rejects when the child exits first (with its stderr) or the time is up, so a
 * server that dies at start-up fails fast and nothing is left pending afterwards.
 */
function untilReady<T>(name: string, spawned: Spawned, ready: Promise<T>, timeoutMs: number): Promise<T> {
	const { child, stderrTail } = spawned;
	return new Promise<T>((resolve, reject) => {
		const onExit = (code: number | null, signal: string | null) =>
			reject(new Error(`${name} exited during start-up (code ${code}, signal ${signal}):\n${stderrTail()}`));
		const timer = setTimeout(() => reject(new Error(`${name} not ready within ${timeoutMs} ms`)), timeoutMs);
		child.once("exit", onExit);
		ready.then(resolve, reject).finally(() => {
			clearTimeout(timer);
			child.off("exit", onExit);
		});
	});
}

/** Polls until `url` answers 2xx; gives up when the child is gone (untilReady reports that). */
async function pollHttp(url: string, child: ChildProcess): Promise<void> {
	while (child.exitCode === null && child.signalCode === null) {
		try {
			const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
			await response.arrayBuffer();
			if (response.ok) return;
		} catch {
			// Not listening yet.
		}
		await sleep(100);
	}
}

/** The fake OpenAI-compatible upstream in fast mode; its CLI prints its base URL (…/v1) first. */
export async function startFakeUpstream(root: string): Promise<ChildServer> {
	const name = "fake upstream";
	const spawned = spawnServer({
		name,
		args: ["--import", "tsx", "test/support/fake-upstream-cli.ts", "--port", "0", "--fast"],
		cwd: root,
		environment: {},
		readStdout: true,
	});
	const lines = createInterface({ input: spawned.child.stdout as NodeJS.ReadableStream });
	const firstLine = new Promise<string>((resolve) => lines.once("line", resolve));
	const baseUrl = await untilReady(name, spawned, firstLine, 20_000);
	// Nothing else is expected on stdout, but a full pipe would block the child: keep draining it.
	lines.on("line", () => {});
	return toChildServer(name, spawned, baseUrl.trim().replace(/\/v1\/?$/, ""));
}

export async function startParley(root: string, settings: Record<string, string>): Promise<ChildServer> {
	const name = "parley";
	const port = await freePort();
	const spawned = spawnServer({
		name,
		args: ["dist/server.js"],
		cwd: root,
		environment: { ...settings, PORT: String(port), HOST: "127.0.0.1" },
	});
	const url = `http://127.0.0.1:${port}`;
	await untilReady(name, spawned, pollHttp(`${url}/v1/health`, spawned.child), 30_000);
	return toChildServer(name, spawned, url);
}

/** bench/bare-proxy.ts: the reference pass-through with nothing of Parley's in it. */
export async function startBareProxy(root: string, upstreamBaseUrl: string): Promise<ChildServer> {
	const name = "bare proxy";
	const port = await freePort();
	const spawned = spawnServer({
		name,
		args: ["--import", "tsx", "bench/bare-proxy.ts"],
		cwd: root,
		environment: { PORT: String(port), UPSTREAM_URL: upstreamBaseUrl },
	});
	const url = `http://127.0.0.1:${port}`;
	await untilReady(name, spawned, pollHttp(`${url}/health`, spawned.child), 30_000);
	return toChildServer(name, spawned, url);
}

export async function startPortkey(root: string): Promise<ChildServer> {
	const name = "portkey";
	const port = await freePort();
	const spawned = spawnServer({
		name,
		args: [
			"--require",
			"./bench/portkey-loopback.cjs",
			"node_modules/@portkey-ai/gateway/build/start-server.js",
			`--port=${port}`,
			"--headless",
		],
		cwd: root,
		environment: {},
	});
	const url = `http://127.0.0.1:${port}`;
	// Portkey's root route answers "AI Gateway says hey!" once it listens.
	await untilReady(name, spawned, pollHttp(`${url}/`, spawned.child), 30_000);
	return toChildServer(name, spawned, url);
}

export interface Memory {
	/** VmHWM: the peak resident set since start or since the last resetPeakMemory. */
	peakRssMb: number;
	/** VmRSS now. */
	rssMb: number;
}

export function readMemory(pid: number): Memory | undefined {
	try {
		const status = readFileSync(`/proc/${pid}/status`, "utf8");
		const kilobytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
		return { peakRssMb: kilobytes("VmHWM") / 1024, rssMb: kilobytes("VmRSS") / 1024 };
	} catch {
		return undefined;
	}
}

/**
 * Parley serves two scenarios: resetting VmHWM (Linux: "5" to clear_refs) before each makes the peak
 * that scenario's own. Best effort: without it the peak covers the process's whole life.
 */
export function resetPeakMemory(pid: number): boolean {
	try {
		writeFileSync(`/proc/${pid}/clear_refs`, "5");
		return true;
	} catch {
		return false;
	}
}

/** SIGTERM to every child this module started (by PID), SIGKILL to those still alive after a grace period. */
export async function stopAll(graceMs = 5_000): Promise<void> {
	const children = [...started.values()];
	const exits = children.map(
		(child) =>
			new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve()))),
	);
	for (const child of children) child.kill("SIGTERM");
	const graceful = await Promise.race([Promise.all(exits).then(() => true), sleep(graceMs).then(() => false)]);
	if (graceful) return;
	for (const child of started.values()) child.kill("SIGKILL");
	await Promise.race([Promise.all(exits), sleep(2_000)]);
}
