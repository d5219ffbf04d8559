import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ModelStreamPart } from "../../src/llm/model-port.js";
import { ProviderCallError } from "../../src/llm/model-port.js";
import { createChatCompletionsStreamObserver } from "../../src/llm/openai-wire/chat-completions-stream-observer.js";
import { createOpenAIWireAdapter } from "../../src/llm/openai-wire/openai-wire-adapter.js";
import { type FakeUpstream, fixtures, startFakeUpstream } from "../support/fake-upstream.js";

let upstream: FakeUpstream;
let prefixed: FakeUpstream;
let adapter: ReturnType<typeof createOpenAIWireAdapter>;

const request = {
	model: "gpt-4o-mini",
	messages: [
		{ role: "system" as const, content: "Be brief." },
		{ role: "user" as const, content: "Capital of France?" },
	],
};

beforeAll(async () => {
	upstream = await startFakeUpstream();
	prefixed = await startFakeUpstream({ basePath: "/api/v1" });
	adapter = createOpenAIWireAdapter({
		provider: "openai",
		baseUrl: upstream.url,
		apiKey: "sk-configured",
		headers: { "X-Title": "Parley" },
		connectTimeoutMs: 1_000,
		timeoutMs: 2_000,
	});
});

afterEach(() => {
	upstream.reset();
	prefixed.reset();
});

afterAll(async () => {
	await adapter.close();
	await upstream.close();
	await prefixed.close();
});

async function collect(parts: AsyncIterable<ModelStreamPart>): Promise<ModelStreamPart[]> {
	const collected: ModelStreamPart[] = [];
	for await (const part of parts) collected.push(part);
	return collected;
}

async function collectBytes(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
	const collected: Buffer[] = [];
	for await (const chunk of chunks) collected.push(Buffer.from(chunk));
	return Buffer.concat(collected);
}

describe("OpenAI wire adapter: complete", () => {
	it("sends a Chat Completions body and reads text, finish reason and usage", async () => {
		const result = await adapter.complete(
			{ ...request, temperature: 0.2, topP: 0.9, maxTokens: 64, stop: ["\n\n"], seed: 7 },
			{},
		);
		expect(result).toEqual({ text: fixtures.text, finishReason: "stop", usage: fixtures.usage });
		const [sent] = upstream.requests;
		expect(sent?.path).toBe("/v1/chat/completions");
		expect(sent?.headers.authorization).toBe("Bearer sk-configured");
		expect(sent?.headers["x-title"]).toBe("Parley");
		expect(sent?.body).toEqual({
			model: "gpt-4o-mini",
			messages: request.messages,
			temperature: 0.2,
			top_p: 0.9,
			max_tokens: 64,
			stop: ["\n\n"],
			seed: 7,
		});
	});

	it("can send max_completion_tokens instead, as OpenAI's reasoning models require", async () => {
		const openai = createOpenAIWireAdapter({
			provider: "openai",
			baseUrl: upstream.url,
			maxTokensField: "max_completion_tokens",
			connectTimeoutMs: 1_000,
			timeoutMs: 2_000,
		});
		try {
			await openai.complete({ ...request, maxTokens: 32 }, {});
			expect(upstream.requests[0]?.body).toMatchObject({ max_completion_tokens: 32 });
			expect(upstream.requests[0]?.body).not.toHaveProperty("max_tokens");
		} finally {
			await openai.close();
		}
	});

	it("reads a response delivered one byte at a time", async () => {
		upstream.script({ type: "success", writeChunkBytes: 1 });
		const result = await adapter.complete(request, {});
		expect(result.text).toBe(fixtures.text);
	});

	it("keeps the base URL's path prefix", async () => {
		const openrouter = createOpenAIWireAdapter({
			provider: "openrouter",
			baseUrl: prefixed.url,
			apiKey: "sk-or",
			connectTimeoutMs: 1_000,
			timeoutMs: 2_000,
		});
		try {
			await openrouter.complete({ ...request, model: "meta-llama/llama-3.1-8b-instruct" }, {});
			expect(prefixed.requests[0]?.path).toBe("/api/v1/chat/completions");
			expect(prefixed.requests[0]?.body).toMatchObject({ model: "meta-llama/llama-3.1-8b-instruct" });
		} finally {
			await openrouter.close();
		}
	});

	it("uses per-call credentials: another key, and another base URL through its own pool", async () => {
		await adapter.complete(request, { credentials: { apiKey: "sk-user" } });
		expect(upstream.requests[0]?.headers.authorization).toBe("Bearer sk-user");
		await adapter.complete(request, { credentials: { apiKey: "sk-user-2", baseUrl: prefixed.url } });
		expect(prefixed.requests[0]?.headers.authorization).toBe("Bearer sk-user-2");
		expect(upstream.requests).toHaveLength(1);
	});
});

describe("OpenAI wire adapter: stream", () => {
	it("turns the event stream into text deltas and one finish part with usage", async () => {
		const parts = await collect(adapter.stream(request, {}));
		const text = parts.map((part) => (part.type === "text-delta" ? part.text : "")).join("");
		expect(text).toBe(fixtures.text);
		expect(parts.at(-1)).toEqual({ type: "finish", finishReason: "stop", usage: fixtures.usage });
		expect(parts.filter((part) => part.type === "finish")).toHaveLength(1);
		expect(upstream.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
		expect(upstream.requests[0]?.headers.accept).toBe("text/event-stream");
	});

	it("is unaffected by chunk boundaries (1-byte writes)", async () => {
		upstream.script({ type: "success", writeChunkBytes: 1 });
		const parts = await collect(adapter.stream(request, {}));
		expect(parts.map((part) => (part.type === "text-delta" ? part.text : "")).join("")).toBe(fixtures.text);
		expect(parts.at(-1)).toEqual({ type: "finish", finishReason: "stop", usage: fixtures.usage });
	});

	it("fails with kind stream when the connection drops mid-stream", async () => {
		upstream.script({ type: "drop", afterEvents: 4 });
		const parts: ModelStreamPart[] = [];
		const failure = await (async () => {
			try {
				for await (const part of adapter.stream(request, {})) parts.push(part);
			} catch (error) {
				return error;
			}
		})();
		expect(parts.length).toBeGreaterThan(0);
		expect(failure).toBeInstanceOf(ProviderCallError);
		expect(failure).toMatchObject({ kind: "stream", retryable: true });
	});
});

describe("OpenAI wire adapter: pass-through", () => {
	it("forwardJson returns the upstream bytes untouched and the parsed JSON", async () => {
		const body = { model: "gpt-4o-mini", messages: request.messages, unknown_field: { kept: true } };
		const response = await adapter.chatCompletions.forwardJson(body, {});
		const expectedBytes = JSON.stringify({ ...fixtures.completion, model: "gpt-4o-mini" });
		expect(Buffer.from(response.body).toString("utf8")).toBe(expectedBytes);
		expect(response.json).toEqual(JSON.parse(expectedBytes));
		expect(upstream.requests[0]?.rawBody).toBe(JSON.stringify(body));
	});

	it("forwardStream relays the upstream bytes untouched, and the observer reads them", async () => {
		upstream.script({ type: "success", writeChunkBytes: 97 });
		const body = {
			model: "gpt-4o-mini",
			messages: request.messages,
			stream: true,
			stream_options: { include_usage: true },
		};
		const chunks = await adapter.chatCompletions.forwardStream(body, {});
		const observer = createChatCompletionsStreamObserver();
		const collected: Buffer[] = [];
		for await (const chunk of chunks) {
			observer.push(chunk);
			collected.push(Buffer.from(chunk));
		}
		const expected = fixtures.streamTranscript.replaceAll('"model":"gpt-4o-mini-2024-07-18"', '"model":"gpt-4o-mini"');
		expect(Buffer.concat(collected).toString("utf8")).toBe(expected);
		expect(observer.result()).toMatchObject({
			text: fixtures.text,
			finishReason: "stop",
			usage: fixtures.usage,
			sawDone: true,
		});
	});

	it("forwardStream can be abandoned without consuming, and the pool keeps working", async () => {
		const body = { model: "gpt-4o-mini", messages: request.messages, stream: true };
		for (let index = 0; index < 5; index++) {
			const chunks = await adapter.chatCompletions.forwardStream(body, {});
			await chunks[Symbol.asyncIterator]().return?.();
		}
		const bytes = await collectBytes(await adapter.chatCompletions.forwardStream(body, {}));
		expect(bytes.toString("utf8")).toContain("data: [DONE]");
	});
});

describe("OpenAI wire adapter: failures", () => {
	it("maps a 400 to a non-retryable http error with the upstream message", async () => {
		upstream.script({ type: "error", status: 400 });
		const error = await adapter.complete(request, {}).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(ProviderCallError);
		expect(error).toMatchObject({
			kind: "http",
			status: 400,
			retryable: false,
			upstreamMessage: "Invalid value for 'temperature': expected a number between 0 and 2, but got 7 instead.",
		});
	});

	it("reads Retry-After in seconds and prefers retry-after-ms", async () => {
		upstream.script(
			{ type: "error", status: 429, retryAfterSeconds: 2 },
			{ type: "error", status: 429, retryAfterSeconds: 1, retryAfterMs: 250 },
		);
		await expect(adapter.chatCompletions.forwardJson({ model: "m" }, {})).rejects.toMatchObject({
			status: 429,
			retryable: true,
			retryAfterMs: 2_000,
		});
		await expect(adapter.chatCompletions.forwardStream({ model: "m", stream: true }, {})).rejects.toMatchObject({
			status: 429,
			retryAfterMs: 250,
		});
	});

	it("reuses the connection after error responses (bodies are consumed)", async () => {
		const fresh = createOpenAIWireAdapter({
			provider: "openai",
			baseUrl: upstream.url,
			connectTimeoutMs: 500,
			timeoutMs: 1_000,
		});
		upstream.rule((_request, index) => (index % 2 === 0 ? { type: "error", status: 500 } : { type: "success" }));
		try {
			for (let index = 0; index < 4; index++) {
				await expect(fresh.complete(request, {})).rejects.toMatchObject({ status: 500, retryable: true });
				await expect(fresh.complete(request, {})).resolves.toMatchObject({ text: fixtures.text });
			}
		} finally {
			await fresh.close();
		}
		// undici may open a second socket while the first is being released, but not one per request.
		const ports = new Set(upstream.requests.map((recorded) => recorded.remotePort));
		expect(upstream.requests).toHaveLength(8);
		expect(ports.size).toBeLessThanOrEqual(2);
	});

	it("maps a refused connection to kind network", async () => {
		const closed = await startFakeUpstream();
		const url = closed.url;
		await closed.close();
		const unreachable = createOpenAIWireAdapter({
			provider: "openai",
			baseUrl: url,
			connectTimeoutMs: 500,
			timeoutMs: 1_000,
		});
		try {
			await expect(unreachable.complete(request, {})).rejects.toMatchObject({ kind: "network", retryable: true });
		} finally {
			await unreachable.close();
		}
	});

	it("maps a header timeout to kind timeout", async () => {
		const impatient = createOpenAIWireAdapter({
			provider: "openai",
			baseUrl: upstream.url,
			connectTimeoutMs: 500,
			timeoutMs: 100,
		});
		upstream.script({ type: "hang" });
		try {
			await expect(impatient.complete(request, {})).rejects.toMatchObject({ kind: "timeout", retryable: true });
		} finally {
			await impatient.close();
		}
	});

	it("maps an abort to kind aborted", async () => {
		upstream.script({ type: "success", delayMs: 500 });
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 30);
		await expect(adapter.complete(request, { signal: controller.signal })).rejects.toMatchObject({
			kind: "aborted",
			retryable: false,
		});
	});

	it("rejects a 2xx body that is not a chat completion as an invalid response", async () => {
		upstream.script(
			{ type: "raw", status: 200, contentType: "text/html", body: "<html>gateway</html>" },
			{ type: "raw", status: 200, contentType: "application/json", body: '{"object":"list"}' },
		);
		await expect(adapter.complete(request, {})).rejects.toMatchObject({ kind: "invalid-response", retryable: false });
		await expect(adapter.complete(request, {})).rejects.toMatchObject({ kind: "invalid-response" });
	});

	it("fails a JSON body cut short as a retryable failure", async () => {
		upstream.script({ type: "drop", afterEvents: 0 });
		await expect(adapter.complete(request, {})).rejects.toMatchObject({ retryable: true });
	});

	it("fails a stream that ends without finish_reason or [DONE]", async () => {
		const partial = fixtures.streamTranscript.split("\n\n").slice(0, 3).join("\n\n");
		upstream.script({ type: "raw", status: 200, contentType: "text/event-stream", body: `${partial}\n\n` });
		await expect(collect(adapter.stream(request, {}))).rejects.toMatchObject({ kind: "stream" });
	});

	it("surfaces an error event sent mid-stream", async () => {
		const body =
			'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\ndata: {"error":{"message":"Provider returned error","code":502}}\n\n';
		upstream.script({ type: "raw", status: 200, contentType: "text/event-stream", body });
		await expect(collect(adapter.stream(request, {}))).rejects.toMatchObject({
			kind: "stream",
			upstreamMessage: "Provider returned error",
		});
	});
});
