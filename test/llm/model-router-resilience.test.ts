import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { AppError } from "../../src/errors.js";
import type { ModelStreamPart } from "../../src/llm/model-port.js";
import { createModelRouter, type ModelRouter } from "../../src/llm/model-router.js";
import { createMetrics, type Metrics } from "../../src/observability/metrics.js";
import { type FakeUpstream, fixtures, startFakeUpstream } from "../support/fake-upstream.js";

let upstream: FakeUpstream;
const routers: ModelRouter[] = [];

beforeAll(async () => {
	upstream = await startFakeUpstream();
});
afterEach(async () => {
	upstream.reset();
	await Promise.all(routers.splice(0).map((router) => router.close()));
});
afterAll(async () => {
	await upstream.close();
});

function createRouter(overrides: Record<string, string> = {}): { router: ModelRouter; metrics: Metrics } {
	const metrics = createMetrics({ collectProcessMetrics: false });
	const config = loadConfig(
		{},
		{
			OPENAI_API_KEY: "sk-test",
			OPENAI_BASE_URL: upstream.url,
			LLM_MAX_RETRIES: "2",
			LLM_RETRY_BASE_DELAY_MS: "5",
			LLM_RETRY_MAX_DELAY_MS: "5000",
			LLM_BREAKER_THRESHOLD: "50",
			LLM_TIMEOUT_MS: "5000",
			...overrides,
		},
	).llm;
	const router = createModelRouter({ config, metrics });
	routers.push(router);
	return { router, metrics };
}

const request = { messages: [{ role: "user" as const, content: "Capital of France?" }] };

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof AppError) return error;
		throw error;
	}
	throw new Error("expected a failure");
}

async function attemptsCounted(metrics: Metrics): Promise<number> {
	return (await metrics.llmAttempts.get()).values.reduce((sum, value) => sum + value.value, 0);
}

describe("retries", () => {
	it("retries 500s and succeeds", async () => {
		const { router, metrics } = createRouter();
		upstream.script({ type: "error", status: 500, times: 2 });
		const result = await router.complete(router.resolve("openai/gpt-4o-mini"), request);
		expect(result).toMatchObject({ text: fixtures.text, finishReason: "stop", usage: fixtures.usage, attempts: 3 });
		expect(upstream.requests).toHaveLength(3);
		expect(upstream.requests.every((recorded) => (recorded.body as { model: string }).model === "gpt-4o-mini")).toBe(
			true,
		);
		expect(await attemptsCounted(metrics)).toBe(3);
	});

	it("gives up after maxRetries with provider_error", async () => {
		const { router, metrics } = createRouter({ LLM_MAX_RETRIES: "1" });
		upstream.script({ type: "error", status: 500, times: 5 });
		const error = await failureOf(router.complete(router.resolve("openai/gpt-4o-mini"), request));
		expect(error).toMatchObject({ code: "provider_error", status: 502 });
		expect(error.detail).toContain("The server had an error");
		expect(upstream.requests).toHaveLength(2);
		const errors = (await metrics.llmErrors.get()).values;
		expect(errors).toEqual([
			expect.objectContaining({ labels: expect.objectContaining({ code: "provider_error" }), value: 1 }),
		]);
	});

	it("does not retry a 400 and reports it as provider_rejected with the upstream message", async () => {
		const { router, metrics } = createRouter();
		upstream.script({ type: "error", status: 400 });
		const error = await failureOf(
			router.complete(router.resolve("openai/gpt-4o-mini"), { ...request, temperature: 7 }),
		);
		expect(error).toMatchObject({ code: "provider_rejected", status: 400 });
		expect(error.detail).toBe("Invalid value for 'temperature': expected a number between 0 and 2, but got 7 instead.");
		expect(upstream.requests).toHaveLength(1);
		const durations = (await metrics.llmRequestDuration.get()).values;
		expect(durations.some((value) => value.labels.outcome === "rejected")).toBe(true);
	});

	it("waits as long as a 429's Retry-After asks", async () => {
		const { router } = createRouter({ LLM_MAX_RETRIES: "1" });
		upstream.script({ type: "error", status: 429, retryAfterSeconds: 1 });
		const result = await router.complete(router.resolve("openai/gpt-4o-mini"), request);
		expect(result.attempts).toBe(2);
		const [first, second] = upstream.requests;
		const waited = (second?.receivedAt ?? 0) - (first?.receivedAt ?? 0);
		expect(waited).toBeGreaterThanOrEqual(950);
		expect(waited).toBeLessThan(3_000);
	});

	it("gives up at once when Retry-After exceeds the retry cap, and passes it on", async () => {
		const { router } = createRouter({ LLM_RETRY_MAX_DELAY_MS: "500" });
		upstream.script({ type: "error", status: 429, retryAfterSeconds: 30 });
		const started = performance.now();
		const error = await failureOf(router.complete(router.resolve("openai/gpt-4o-mini"), request));
		expect(performance.now() - started).toBeLessThan(400);
		expect(error).toMatchObject({ code: "provider_overloaded", status: 503, headers: { "retry-after": "30" } });
		expect(upstream.requests).toHaveLength(1);
	});

	it("reports 503s after retries as provider_overloaded", async () => {
		const { router } = createRouter({ LLM_MAX_RETRIES: "1" });
		upstream.script({ type: "error", status: 503, times: 2, retryAfterMs: 20 });
		const error = await failureOf(router.complete(router.resolve("openai/gpt-4o-mini"), request));
		expect(error).toMatchObject({ code: "provider_overloaded", headers: { "retry-after": "1" } });
		expect(upstream.requests).toHaveLength(2);
	});

	it("times out a slow attempt, retries it, and reports provider_timeout", async () => {
		const { router, metrics } = createRouter({ LLM_TIMEOUT_MS: "100", LLM_MAX_RETRIES: "1" });
		upstream.script({ type: "success", delayMs: 1_000, times: 2 });
		const error = await failureOf(router.complete(router.resolve("openai/gpt-4o-mini"), request));
		expect(error).toMatchObject({ code: "provider_timeout", status: 504 });
		expect(upstream.requests).toHaveLength(2);
		const durations = (await metrics.llmRequestDuration.get()).values;
		expect(durations.some((value) => value.labels.outcome === "timeout")).toBe(true);
	});

	it("rethrows the caller's abort untouched and records no provider error", async () => {
		const { router, metrics } = createRouter();
		upstream.script({ type: "success", delayMs: 1_000 });
		const controller = new AbortController();
		const reason = new Error("client went away");
		setTimeout(() => controller.abort(reason), 30);
		await expect(
			router.complete(router.resolve("openai/gpt-4o-mini"), request, { signal: controller.signal }),
		).rejects.toBe(reason);
		expect((await metrics.llmErrors.get()).values).toEqual([]);
		expect(upstream.requests).toHaveLength(1);
	});
});

describe("circuit breaker", () => {
	it("opens after consecutive failures, refuses without calling upstream, then half-opens and closes", async () => {
		const { router, metrics } = createRouter({
			LLM_MAX_RETRIES: "0",
			LLM_BREAKER_THRESHOLD: "3",
			LLM_BREAKER_HALF_OPEN_AFTER_MS: "300",
		});
		const resolved = router.resolve("openai/gpt-4o-mini");
		upstream.script({ type: "error", status: 500, times: 3 });
		for (let index = 0; index < 3; index++) {
			await expect(router.complete(resolved, request)).rejects.toMatchObject({ code: "provider_error" });
		}
		expect(router.providerStatus().find((status) => status.provider === "openai")?.circuit).toBe("open");
		const refused = await failureOf(router.complete(resolved, request));
		expect(refused).toMatchObject({ code: "provider_unavailable", status: 503, headers: { "retry-after": "1" } });
		await expect(router.forwardJson(resolved, { model: "gpt-4o-mini" })).rejects.toMatchObject({
			code: "provider_unavailable",
		});
		expect(upstream.requests).toHaveLength(3);
		expect((await metrics.llmCircuitState.get()).values[0]?.value).toBe(2);

		await sleep(350);
		expect(router.providerStatus().find((status) => status.provider === "openai")?.circuit).toBe("half-open");
		const result = await router.complete(resolved, request);
		expect(result.text).toBe(fixtures.text);
		expect(router.providerStatus().find((status) => status.provider === "openai")?.circuit).toBe("closed");
		expect((await metrics.llmCircuitState.get()).values[0]?.value).toBe(0);
		const transitions = (await metrics.llmCircuitTransitions.get()).values.map((value) => [
			value.labels.state,
			value.value,
		]);
		expect(transitions).toEqual(
			expect.arrayContaining([
				["open", 1],
				["half-open", 1],
				["closed", 1],
			]),
		);
		const durations = (await metrics.llmRequestDuration.get()).values;
		expect(durations.some((value) => value.labels.outcome === "circuit_open")).toBe(true);
	});

	it("stops retrying as soon as the breaker opens", async () => {
		const { router } = createRouter({
			LLM_MAX_RETRIES: "5",
			LLM_BREAKER_THRESHOLD: "2",
			LLM_BREAKER_HALF_OPEN_AFTER_MS: "60000",
		});
		upstream.rule(() => ({ type: "error", status: 502 }));
		// The call that opened the breaker reports what the upstream said, not the breaker.
		await expect(router.complete(router.resolve("openai/gpt-4o-mini"), request)).rejects.toMatchObject({
			code: "provider_error",
		});
		expect(upstream.requests).toHaveLength(2);
	});

	it("does not count upstream 400s", async () => {
		const { router } = createRouter({ LLM_MAX_RETRIES: "0", LLM_BREAKER_THRESHOLD: "2" });
		const resolved = router.resolve("openai/gpt-4o-mini");
		upstream.script({ type: "error", status: 400, times: 5 });
		for (let index = 0; index < 5; index++) {
			await expect(router.complete(resolved, request)).rejects.toMatchObject({ code: "provider_rejected" });
		}
		await expect(router.complete(resolved, request)).resolves.toMatchObject({ text: fixtures.text });
		expect(router.providerStatus().find((status) => status.provider === "openai")?.circuit).toBe("closed");
	});

	it("keeps one breaker per model", async () => {
		const { router } = createRouter({
			LLM_MAX_RETRIES: "0",
			LLM_BREAKER_THRESHOLD: "1",
			LLM_BREAKER_HALF_OPEN_AFTER_MS: "60000",
		});
		upstream.script({ type: "error", status: 500 });
		await expect(router.complete(router.resolve("openai/gpt-4o"), request)).rejects.toMatchObject({
			code: "provider_error",
		});
		await expect(router.complete(router.resolve("openai/gpt-4o"), request)).rejects.toMatchObject({
			code: "provider_unavailable",
		});
		await expect(router.complete(router.resolve("openai/gpt-4o-mini"), request)).resolves.toMatchObject({
			text: fixtures.text,
		});
	});
});

describe("streaming", () => {
	async function collect(parts: AsyncIterable<ModelStreamPart>): Promise<{ parts: ModelStreamPart[]; error: unknown }> {
		const collected: ModelStreamPart[] = [];
		try {
			for await (const part of parts) collected.push(part);
			return { parts: collected, error: undefined };
		} catch (error) {
			return { parts: collected, error };
		}
	}

	it("retries a stream that fails before its first part", async () => {
		const { router } = createRouter();
		upstream.script({ type: "error", status: 500 });
		const { parts, error } = await collect(router.stream(router.resolve("openai/gpt-4o-mini"), request));
		expect(error).toBeUndefined();
		expect(parts.map((part) => (part.type === "text-delta" ? part.text : "")).join("")).toBe(fixtures.text);
		expect(parts.at(-1)).toEqual({ type: "finish", finishReason: "stop", usage: fixtures.usage });
		expect(upstream.requests).toHaveLength(2);
	});

	it("never retries after the first part: a drop mid-stream surfaces as an error", async () => {
		const { router, metrics } = createRouter();
		upstream.script({ type: "drop", afterEvents: 4 });
		const { parts, error } = await collect(router.stream(router.resolve("openai/gpt-4o-mini"), request));
		expect(parts.length).toBeGreaterThan(0);
		expect(error).toBeInstanceOf(AppError);
		expect(error).toMatchObject({ code: "provider_error" });
		expect(upstream.requests).toHaveLength(1);
		expect((await metrics.llmErrors.get()).values[0]?.value).toBe(1);
	});

	it("lets the consumer stop early", async () => {
		const { router } = createRouter();
		upstream.script({ type: "success", writeChunkBytes: 50 });
		for await (const part of router.stream(router.resolve("openai/gpt-4o-mini"), request)) {
			expect(part.type).toBe("text-delta");
			break;
		}
		await expect(router.complete(router.resolve("openai/gpt-4o-mini"), request)).resolves.toMatchObject({
			text: fixtures.text,
		});
	});

	it("applies the timeout only until the first part", async () => {
		const { router } = createRouter({ LLM_TIMEOUT_MS: "150", LLM_MAX_RETRIES: "0" });
		// 16 events 40 ms apart: the first arrives at once, the whole stream takes about 640 ms.
		upstream.script({ type: "success", eventDelayMs: 40 });
		const started = performance.now();
		const { parts, error } = await collect(router.stream(router.resolve("openai/gpt-4o-mini"), request));
		expect(error).toBeUndefined();
		expect(parts.at(-1)?.type).toBe("finish");
		expect(performance.now() - started).toBeGreaterThan(300);
	});

	it("times out a stream whose first part is too slow", async () => {
		const { router } = createRouter({ LLM_TIMEOUT_MS: "100", LLM_MAX_RETRIES: "0" });
		upstream.script({ type: "success", delayMs: 1_000 });
		const { parts, error } = await collect(router.stream(router.resolve("openai/gpt-4o-mini"), request));
		expect(parts).toEqual([]);
		expect(error).toMatchObject({ code: "provider_timeout" });
	});
});

describe("pass-through", () => {
	it("forwardJson retries and returns the upstream bytes", async () => {
		const { router, metrics } = createRouter();
		upstream.script({ type: "error", status: 502 });
		const resolved = router.resolve("openai/gpt-4o-mini");
		const response = await router.forwardJson(resolved, { model: "gpt-4o-mini", messages: request.messages });
		expect(response.attempts).toBe(2);
		expect(Buffer.from(response.body).toString("utf8")).toBe(
			JSON.stringify({ ...fixtures.completion, model: "gpt-4o-mini" }),
		);
		const tokens = (await metrics.llmTokens.get()).values;
		expect(tokens.find((value) => value.labels.type === "completion")?.value).toBe(fixtures.usage.completionTokens);
	});

	it("forwardStream retries until the upstream answers 2xx, then relays the bytes and summarises them", async () => {
		const { router, metrics } = createRouter();
		upstream.script({ type: "error", status: 503 }, { type: "success", writeChunkBytes: 64 });
		const body = {
			model: "gpt-4o-mini",
			messages: request.messages,
			stream: true,
			stream_options: { include_usage: true },
		};
		const stream = await router.forwardStream(router.resolve("openai/gpt-4o-mini"), body);
		expect(stream.summary()).toBeUndefined();
		const chunks: Buffer[] = [];
		for await (const chunk of stream) chunks.push(Buffer.from(chunk));
		const expected = fixtures.streamTranscript.replaceAll('"model":"gpt-4o-mini-2024-07-18"', '"model":"gpt-4o-mini"');
		expect(Buffer.concat(chunks).toString("utf8")).toBe(expected);
		expect(stream.summary()).toMatchObject({
			text: fixtures.text,
			finishReason: "stop",
			usage: fixtures.usage,
			sawDone: true,
		});
		expect(upstream.requests).toHaveLength(2);
		const tokens = (await metrics.llmTokens.get()).values;
		expect(tokens.find((value) => value.labels.type === "prompt")?.value).toBe(fixtures.usage.promptTokens);
	});

	it("accounts a forwarded stream that carried an error event as a failure, relaying it untouched", async () => {
		const { router, metrics } = createRouter();
		const body =
			'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\ndata: {"error":{"message":"Provider returned error"}}\n\n';
		upstream.script({ type: "raw", status: 200, contentType: "text/event-stream", body });
		const stream = await router.forwardStream(router.resolve("openai/gpt-4o-mini"), {
			model: "gpt-4o-mini",
			stream: true,
		});
		const chunks: Buffer[] = [];
		for await (const chunk of stream) chunks.push(Buffer.from(chunk));
		expect(Buffer.concat(chunks).toString("utf8")).toBe(body);
		expect(stream.summary()?.errorMessage).toBe("Provider returned error");
		expect((await metrics.llmErrors.get()).values[0]).toMatchObject({ labels: { code: "provider_error" }, value: 1 });
	});

	it("forwardStream retries a stream cut before its answer began, relaying none of the failed attempt's bytes", async () => {
		const { router } = createRouter();
		upstream.script({ type: "drop", afterEvents: 1 }, { type: "error", status: 500 }, { type: "success" });
		const body = { model: "gpt-4o-mini", messages: request.messages, stream: true };
		const stream = await router.forwardStream(router.resolve("openai/gpt-4o-mini"), body);
		expect(stream.attempts).toBe(3);
		const chunks: Buffer[] = [];
		for await (const chunk of stream) chunks.push(Buffer.from(chunk));
		const expected = fixtures.streamTranscript
			.replaceAll('"model":"gpt-4o-mini-2024-07-18"', '"model":"gpt-4o-mini"')
			.split("\n\n")
			.filter((event) => !event.includes('"choices":[]'))
			.map((event) => event.replaceAll(',"usage":null', ""))
			.join("\n\n");
		expect(Buffer.concat(chunks).toString("utf8")).toBe(expected);
	});

	it("forwardStream does not retry a drop after the answer began", async () => {
		const { router } = createRouter();
		upstream.script({ type: "drop", afterEvents: 3 });
		const body = { model: "gpt-4o-mini", messages: request.messages, stream: true };
		const stream = await router.forwardStream(router.resolve("openai/gpt-4o-mini"), body);
		const failure = await (async () => {
			try {
				for await (const _chunk of stream) {
					// Relayed as they come.
				}
			} catch (error) {
				return error;
			}
		})();
		expect(failure).toMatchObject({ code: "provider_error" });
		expect(upstream.requests).toHaveLength(1);
		expect(stream.summary()?.sawDone).toBe(false);
	});
});
