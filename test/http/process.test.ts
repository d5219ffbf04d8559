import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "../support/http-client.js";
import { startParley } from "../support/parley-server.js";

const run = promisify(execFile);
const tsx = ["--import", "tsx"];

async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as { port: number };
	await new Promise((resolve) => server.close(resolve));
	return port;
}

function waitForExit(child: ChildProcess): Promise<number | null> {
	return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

// Real: the server entry point (src/server.ts) and the CLI as separate Node processes.
describe("the server process", () => {
	let dataDirectory: string;
	beforeAll(async () => {
		dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-process-"));
	});
	afterAll(() => rm(dataDirectory, { recursive: true, force: true }));

	it("starts with no configuration, answers, and exits 0 on SIGTERM", async () => {
		const port = await freePort();
		const child = spawn(process.execPath, [...tsx, "src/server.ts"], {
			env: { ...process.env, PORT: String(port), DATA_DIR: dataDirectory, NODE_ENV: "development", LOG_LEVEL: "info" },
			stdio: ["ignore", "pipe", "pipe"],
		});
		const exited = waitForExit(child);
		try {
			let output = "";
			await new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error(`no start within 20 s: ${output}`)), 20_000);
				child.stdout?.on("data", (chunk) => {
					output += String(chunk);
					if (output.includes("Parley is listening")) {
						clearTimeout(timer);
						resolve();
					}
				});
			});
			const health = await apiClient(`http://127.0.0.1:${port}`).get("/v1/health");
			expect(health.status).toBe(200);
			child.kill("SIGTERM");
			expect(await exited).toBe(0);
		} finally {
			if (child.exitCode === null) child.kill("SIGKILL");
		}
	});

	it("refuses bad configuration with a readable list and exit status 78", async () => {
		const result = await run(process.execPath, [...tsx, "src/server.ts"], {
			env: { ...process.env, PORT: "eighty", LLM_PROVIDER: "skynet", DATA_DIR: dataDirectory },
		}).catch((error: { code: number; stderr: string }) => error);
		expect((result as { code: number }).code).toBe(78);
		expect((result as { stderr: string }).stderr).toMatch(/PORT/);
		expect((result as { stderr: string }).stderr).toMatch(/LLM_PROVIDER/);
	});

	it("prints a token from the CLI that the server accepts (the seed's generate_token script)", async () => {
		const cliDirectory = await mkdtemp(path.join(tmpdir(), "parley-cli-"));
		const { stdout } = await run(
			process.execPath,
			[...tsx, "src/cli/parley.ts", "token", "--email", "cli@example.com"],
			{
				env: { ...process.env, DATA_DIR: cliDirectory, PUBLIC_URL: "http://parley.test" },
			},
		);
		const token = stdout.trim();
		expect(token).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
		// Same environment as the CLI: the token's issuer is PUBLIC_URL.
		const parley = await startParley({ DATA_DIR: cliDirectory, PUBLIC_URL: "http://parley.test" });
		try {
			const me = await apiClient(parley.url).get("/v1/users/me", { token });
			expect(me.status).toBe(200);
			expect(me.body.email).toBe("cli@example.com");
		} finally {
			await parley.close();
		}
	});
});
