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
}

/** The real entry point (src/server.ts) as its own Node process, on 127.0.0.1 and a free port. */
export async function startServerProcess(environment: Record<string, string>): Promise<ServerProcess> {
	const port = await freePort();
	const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
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
				if (output.includes("Parley is listening")) {
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
	return { url: `http://127.0.0.1:${port}`, child, output: () => output, stop };
}
