import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { fixtures } from "../support/fake-upstream.js";

let child: ChildProcess | undefined;

afterAll(async () => {
	if (child && child.exitCode === null) {
		child.kill("SIGTERM");
		await once(child, "exit");
	}
});

describe("fake upstream CLI (for benchmarks)", () => {
	it("prints its URL and answers in fast mode", async () => {
		const script = new URL("../support/fake-upstream-cli.ts", import.meta.url).pathname;
		child = spawn(process.execPath, ["--import", "tsx", script, "--port", "0", "--fast"], {
			stdio: ["ignore", "pipe", "inherit"],
		});
		const lines = createInterface({ input: child.stdout! });
		const [url] = (await once(lines, "line")) as [string];
		expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);

		const json = await fetch(`${url}/chat/completions`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ model: "gpt-4o-mini", messages: [] }),
		});
		expect(json.status).toBe(200);
		expect(
			((await json.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content,
		).toBe(fixtures.text);

		const stream = await fetch(`${url}/chat/completions`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ model: "gpt-4o-mini", messages: [], stream: true }),
		});
		expect(stream.headers.get("content-type")).toContain("text/event-stream");
		expect(await stream.text()).toContain("data: [DONE]");
	});
});
