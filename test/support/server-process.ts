import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as { port: number };
	await new Promise((resolve) => server.close(resolve));
	return port;
}

export interface ServerProcess {
	url: string;
	child: ChildProcess;
	/** Everything the process printed so far. */
	output(): string;
	/** SIGTERM, then SIGKILL after 5 s; resolves with the exit code. */
	stop(): Promise<number | null>;
	/** SIGKILL at once, as a crash would; resolves once the process is gone. */
	kill(): Promise<void>;
}

/** The real entry point (src/server.ts) as its own Node process, on 127.0.0.1 and a free port. */
export function startServerProcess(environment: Record<string, string>): Promise<ServerProcess> {
	return startProcess(["src/server.ts"], "Parley is listening", environment);
}

/** `parley worker` (src/cli/parley.ts) as its own Node process; it serves health and metrics on a free port. */
export function startWorkerProcess(
	environment: Record<string, string>,
	extraArguments: string[] = [],
): Promise<ServerProcess> {
	return startProcess(["src/cli/parley.ts", "worker", ...extraArguments], "Parley worker is listening", environment);
}

async function startProcess(
	entry: string[],
	readyText: string,
	environment: Record<string, string>,
): Promise<ServerProcess> {
	const port = await freePort();
	const child = spawn(process.execPath, ["--import", "tsx", ...entry], {
		env: {
			...process.env,
			NODE_ENV: "development",
			LOG_LEVEL: "info",
			...environment,
			PORT: String(port),
			HOST: "127.0.0.1",
		},
		stdio: ["ignore", "pipe", "pipe"],
	});
	const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
	let output = "";
	child.stdout?.on("data", (chunk) => {
		output += String(chunk);
	});
	child.stderr?.on("data", (chunk) => {
		output += String(chunk);
	});
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill("SIGTERM");
			const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
			const code = await exited;
			clearTimeout(timer);
			return code;
		}
		return child.exitCode;
	};
	try {
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`no start within 30 s: ${output}`)), 30_000);
			const check = () => {
				if (output.includes(readyText)) {
					clearTimeout(timer);
					resolve();
				}
			};
			child.stdout?.on("data", check);
			child.once("exit", (code) => {
				clearTimeout(timer);
				reject(new Error(`exited with ${code} before listening: ${output}`));
			});
		});
	} catch (error) {
		await stop();
		throw error;
	}
	const kill = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill("SIGKILL");
			await exited;
		}
	};
	return { url: `http://127.0.0.1:${port}`, child, output: () => output, stop, kill };
}
