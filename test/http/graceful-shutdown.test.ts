import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, signUp } from "../support/http-client.js";
import { openLiveSocket } from "../support/live-client.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";

// Real: src/server.ts as its own Node process (SQLite, the mock model made slow so a request is
// still running when SIGTERM arrives), Node's fetch for HTTP and SSE, Node's WebSocket.

describe("graceful shutdown on SIGTERM", () => {
	let dataDirectory: string;
	let server: ServerProcess | undefined;
	beforeAll(async () => {
		dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-shutdown-"));
	});
	afterAll(async () => {
		await server?.kill();
		await rm(dataDirectory, { recursive: true, force: true });
	});

	it("finishes the request in flight, ends SSE with a final event, closes WebSockets with 1001, and exits 0", async () => {
		server = await startServerProcess({
			DATA_DIR: dataDirectory,
			MOCK_LLM_LATENCY_MS: "1500",
			RATE_LIMIT_ENABLED: "false",
			MEMORY_EXTRACTION: "rules",
		});
		const client = apiClient(server.url);
		const { accessToken } = await signUp(client, "draining@example.com");

		const socket = await openLiveSocket(server.url, { token: accessToken });
		const stream = await fetch(`${server.url}/v1/events`, { headers: { authorization: `Bearer ${accessToken}` } });
		expect(stream.status).toBe(200);
		const streamText = (async () => {
			let text = "";
			const decoder = new TextDecoder();
			for await (const chunk of stream.body ?? []) text += decoder.decode(chunk as Uint8Array, { stream: true });
			return text;
		})();

		const chat = client.post<{ response?: string; answer?: string }>(
			"/v1/chat",
			{ prompt: "still answered?" },
			{ token: accessToken },
		);
		// Lets the chat request reach the server (the model then takes 1.5 s) before the signal.
		await sleep(300);
		const exitCode = server.stop();

		const answered = await chat;
		expect(answered.status, answered.text).toBe(200);
		expect(await socket.closed).toEqual({ code: 1001, reason: "server shutting down" });
		const text = await streamText;
		expect(text).toContain(": connected");
		expect(text.trimEnd().endsWith('event: server-closing\ndata: {"reason":"shutdown"}')).toBe(true);
		expect(await exitCode).toBe(0);
		expect(server.output()).toContain("shutting down: draining in-flight requests");
	});
});
