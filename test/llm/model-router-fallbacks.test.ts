import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { AppError } from "../../src/errors.js";
import {
	type LanguageModelAdapter,
	type ModelCallOptions,
	type ModelStreamPart,
	ProviderCallError,
} from "../../src/llm/model-port.js";
import { createModelRouter, type ModelRouter } from "../../src/llm/model-router.js";
import { createMetrics, type Metrics } from "../../src/observability/metrics.js";

/**
 * Fallback chains through the real router (resilience, breakers, metrics) over scripted adapters.
 * Real: router, cockatiel policies, prom-client. Scripted: what each provider does per call.
 */

type Behaviour =
	| { type: "answer"; text: string }
	| { type: "fail"; status: number }
	/** Streams: the first part, then a failure. */
	| { type: "break-after-first"; text: string }
	/** Streams: the first part, then silence until aborted. */
	| { type: "stall-after-first"; text: string }
	/** Never answers until aborted. */
	| { type: "hang" };

interface ScriptedAdapter extends LanguageModelAdapter {
	calls: Array<{ model: string; options: ModelCallOptions }>;
}

function scriptedAdapter(provider: string, behave: (call: number) => Behaviour): ScriptedAdapter {
	const calls: ScriptedAdapter["calls"] = [];
	const failure = (status: number) =>
		new ProviderCallError({ provider, kind: "http", status, message: `${provider}: HTTP ${status}` });
	const untilAborted = (signal: AbortSignal | undefined) =>
		new Promise<never>((_resolve, reject) => {
			const abort = () => reject(new ProviderCallError({ provider, kind: "aborted", message: "aborted" }));
			if (signal?.aborted) abort();
			signal?.addEventListener("abort", abort, { once: true });
		});
	return {
		provider,
		calls,
		async complete(request, options) {
			calls.push({ model: request.model, options });
			const behaviour = behave(calls.length);
			if (behaviour.type === "fail") throw failure(behaviour.status);
			if (behaviour.type === "hang") return untilAborted(options.signal);
			return { text: `${provider}:${"text" in behaviour ? behaviour.text : ""}`, finishReason: "stop", usage: null };
		},
		async *stream(request, options): AsyncIterable<ModelStreamPart> {
			calls.push({ model: request.model, options });
			const behaviour = behave(calls.length);
			if (behaviour.type === "fail") throw failure(behaviour.status);
			if (behaviour.type === "hang") await untilAborted(options.signal);
			if (behaviour.type === "hang") return;
			yield { type: "text-delta", text: `${provider}:${behaviour.text}` };
			if (behaviour.type === "break-after-first") throw failure(502);
			if (behaviour.type === "stall-after-first") await untilAborted(options.signal);
			yield { type: "finish", finishReason: "stop", usage: null };
		},
	};
}

const routers: ModelRouter[] = [];
afterEach(async () => {
	await Promise.all(routers.splice(0).map((router) => router.close()));
});

function createRouter(
	adapters: LanguageModelAdapter[],
	overrides: Record<string, string> = {},
): { router: ModelRouter; metrics: Metrics } {
	const metrics = createMetrics({ collectProcessMetrics: false });
	const config = loadConfig(
		{},
		{
			LLM_MAX_RETRIES: "1",
			LLM_RETRY_BASE_DELAY_MS: "1",
			LLM_BREAKER_THRESHOLD: "50",
			LLM_TIMEOUT_MS: "2000",
			...overrides,
		},
	).llm;
	const router = createModelRouter({
		config,
		metrics,
		adapters: new Map(adapters.map((adapter) => [adapter.provider, adapter])),
	});
	routers.push(router);
	return { router, metrics };
}

const request = { messages: [{ role: "user" as const, content: "Hello" }] };

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof AppError) return error;
		throw error;
	}
	throw new Error("expected a failure");
}

async function counterValues(counter: Metrics["llmFallbacks"] | Metrics["llmRetries"]) {
	return (await counter.get()).values.map((value) => ({ labels: value.labels, value: value.value }));
}

describe("resolving a chain", () => {
	const healthy = () => scriptedAdapter("openai", () => ({ type: "answer", text: "ok" }));

	it("puts LLM_FALLBACKS after the requested model, without duplicates", () => {
		const { router } = createRouter([healthy(), scriptedAdapter("anthropic", () => ({ type: "answer", text: "" }))], {
			LLM_FALLBACKS: "anthropic/claude-haiku-4-5, openai/gpt-4o-mini ,mock/parley-mock-1",
		});
		expect(router.resolveChain("openai/gpt-4o-mini").map((model) => model.id)).toEqual([
			"openai/gpt-4o-mini",
			"anthropic/claude-haiku-4-5",
			"mock/parley-mock-1",
		]);
	});

	it("lets a request's own models replace LLM_FALLBACKS, after its model when given", () => {
		const { router } = createRouter([healthy()], { LLM_FALLBACKS: "mock/parley-mock-1" });
		expect(router.resolveChain(undefined, ["openai/a", "openai/b", "openai/a"]).map((model) => model.id)).toEqual([
			"openai/a",
			"openai/b",
		]);
		expect(router.resolveChain("openai/first", ["openai/b"]).map((model) => model.id)).toEqual([
			"openai/first",
			"openai/b",
		]);
	});

	it("resolves a provider without a server key (users may bring one) but never calls it without credentials", async () => {
		const adapter = healthy();
		const { router } = createRouter([adapter]);
		const chain = router.resolveChain("openai/gpt-4o-mini", ["gemini/gemini-2.5-flash"]);
		expect(chain.map((model) => [model.id, model.serverCredentials])).toEqual([
			["openai/gpt-4o-mini", true],
			["gemini/gemini-2.5-flash", false],
		]);
		await expect(
			router.complete(chain[1] as (typeof chain)[0], { messages: [{ role: "user", content: "hi" }] }),
		).rejects.toMatchObject({ code: "unknown_model" });
		expect(adapter.calls).toHaveLength(0);
	});

	it("refuses an id no provider can serve in a request's models", () => {
		const { router } = createRouter([healthy()]);
		expect(() => router.resolveChain("openai/gpt-4o-mini", ["bedrock/anthropic.claude"])).toThrowError(
			expect.objectContaining({ code: "unknown_model" }),
		);
	});

	it("refuses to start with an LLM_FALLBACKS entry no provider serves", () => {
		expect(() => createRouter([healthy()], { LLM_FALLBACKS: "openai/gpt-4o-mini,gemini/gemini-2.5-flash" })).toThrow(
			ConfigError,
		);
	});
});

describe("falling back", () => {
	it("tries the next model once the first has used up its retries, and says who answered", async () => {
		const primary = scriptedAdapter("openai", () => ({ type: "fail", status: 500 }));
		const secondary = scriptedAdapter("anthropic", () => ({ type: "answer", text: "saved" }));
		const { router, metrics } = createRouter([primary, secondary], { LLM_FALLBACKS: "anthropic/claude-haiku-4-5" });
		const chain = router.resolveChain("openai/gpt-4o-mini");
		const result = await router.withFallbacks(chain, (model, options) => router.complete(model, request, options));
		expect(result.value.text).toBe("anthropic:saved");
		expect(result.answeredBy.id).toBe("anthropic/claude-haiku-4-5");
		expect(result).toMatchObject({ attempts: 3, fallbacks: 1 });
		expect(primary.calls.map((call) => call.model)).toEqual(["gpt-4o-mini", "gpt-4o-mini"]);
		expect(secondary.calls.map((call) => call.model)).toEqual(["claude-haiku-4-5"]);
		expect(await counterValues(metrics.llmFallbacks)).toEqual([
			{ labels: { from: "openai/gpt-4o-mini", to: "anthropic/claude-haiku-4-5" }, value: 1 },
		]);
		expect(await counterValues(metrics.llmRetries)).toEqual([
			{ labels: { provider: "openai", model: "gpt-4o-mini" }, value: 1 },
		]);
	});

	it("does not fall back when the provider rejected the request itself", async () => {
		const primary = scriptedAdapter("openai", () => ({ type: "fail", status: 400 }));
		const secondary = scriptedAdapter("anthropic", () => ({ type: "answer", text: "never" }));
		const { router, metrics } = createRouter([primary, secondary], { LLM_FALLBACKS: "anthropic/claude-haiku-4-5" });
		const error = await failureOf(
			router.withFallbacks(router.resolveChain("openai/gpt-4o-mini"), (model, options) =>
				router.complete(model, request, options),
			),
		);
		expect(error.code).toBe("provider_rejected");
		expect(primary.calls).toHaveLength(1);
		expect(secondary.calls).toHaveLength(0);
		expect(await counterValues(metrics.llmFallbacks)).toEqual([]);
	});

	it("gives the last model's error when every model fails", async () => {
		const primary = scriptedAdapter("openai", () => ({ type: "fail", status: 500 }));
		const secondary = scriptedAdapter("anthropic", () => ({ type: "fail", status: 429 }));
		const { router } = createRouter([primary, secondary]);
		const error = await failureOf(
			router.withFallbacks(router.resolveChain("openai/a", ["anthropic/b"]), (model, options) =>
				router.complete(model, request, options),
			),
		);
		expect(error.code).toBe("provider_overloaded");
		expect(primary.calls).toHaveLength(2);
		expect(secondary.calls).toHaveLength(2);
	});

	it("skips a model whose circuit is open without calling it", async () => {
		const primary = scriptedAdapter("openai", () => ({ type: "fail", status: 503 }));
		const secondary = scriptedAdapter("anthropic", () => ({ type: "answer", text: "up" }));
		const { router } = createRouter([primary, secondary], {
			LLM_BREAKER_THRESHOLD: "2",
			LLM_BREAKER_HALF_OPEN_AFTER_MS: "60000",
			LLM_FALLBACKS: "anthropic/claude-haiku-4-5",
		});
		const chain = router.resolveChain("openai/gpt-4o-mini");
		const call = () => router.withFallbacks(chain, (model, options) => router.complete(model, request, options));
		expect((await call()).fallbacks).toBe(1);
		const callsWhenOpen = primary.calls.length;
		const result = await call();
		expect(result).toMatchObject({ fallbacks: 1, attempts: 1 });
		expect(result.answeredBy.provider).toBe("anthropic");
		expect(primary.calls).toHaveLength(callsWhenOpen);
	});

	it("sends a caller's own credentials only to models of the provider they were given for", async () => {
		const primary = scriptedAdapter("openai", () => ({ type: "fail", status: 500 }));
		const secondary = scriptedAdapter("anthropic", () => ({ type: "answer", text: "ok" }));
		const { router } = createRouter([primary, secondary], { LLM_MAX_RETRIES: "0" });
		const credentials = { apiKey: "sk-user-own" };
		await router.withFallbacks(
			router.resolveChain("openai/a", ["openai/b", "anthropic/c"]),
			(model, options) => router.complete(model, request, options),
			{ credentials },
		);
		expect(primary.calls.map((call) => call.options.credentials)).toEqual([credentials, credentials]);
		expect(secondary.calls.map((call) => call.options.credentials)).toEqual([undefined]);
	});

	it("asks credentialsFor, when given, for every model's credentials", async () => {
		const primary = scriptedAdapter("openai", () => ({ type: "fail", status: 500 }));
		const secondary = scriptedAdapter("anthropic", () => ({ type: "answer", text: "ok" }));
		const { router } = createRouter([primary, secondary], { LLM_MAX_RETRIES: "0" });
		await router.withFallbacks(
			router.resolveChain("openai/a", ["anthropic/c"]),
			(model, options) => router.complete(model, request, options),
			{ credentialsFor: async (model) => ({ apiKey: `key-for-${model.provider}` }) },
		);
		expect(primary.calls[0]?.options.credentials).toEqual({ apiKey: "key-for-openai" });
		expect(secondary.calls[0]?.options.credentials).toEqual({ apiKey: "key-for-anthropic" });
	});
});

describe("streams", () => {
	async function readAll(parts: AsyncIterable<ModelStreamPart>): Promise<string> {
		let text = "";
		for await (const part of parts) if (part.type === "text-delta") text += part.text;
		return text;
	}

	it("fall back when a model fails before its first part", async () => {
		const primary = scriptedAdapter("openai", () => ({ type: "fail", status: 502 }));
		const secondary = scriptedAdapter("anthropic", () => ({ type: "answer", text: "streamed" }));
		const { router } = createRouter([primary, secondary], { LLM_FALLBACKS: "anthropic/claude-haiku-4-5" });
		const opened = await router.withFallbacks(router.resolveChain("openai/gpt-4o-mini"), (model, options) =>
			router.openStream(model, request, options),
		);
		expect(opened).toMatchObject({ attempts: 3, fallbacks: 1 });
		expect(opened.value.attempts).toBe(1);
		expect(await readAll(opened.value)).toBe("anthropic:streamed");
	});

	it("never fall back after their first part: the failure reaches the reader", async () => {
		const primary = scriptedAdapter("openai", () => ({ type: "break-after-first", text: "half" }));
		const secondary = scriptedAdapter("anthropic", () => ({ type: "answer", text: "never" }));
		const { router } = createRouter([primary, secondary], { LLM_FALLBACKS: "anthropic/claude-haiku-4-5" });
		const opened = await router.withFallbacks(router.resolveChain("openai/gpt-4o-mini"), (model, options) =>
			router.openStream(model, request, options),
		);
		const received: string[] = [];
		const error = await failureOf(
			(async () => {
				for await (const part of opened.value) if (part.type === "text-delta") received.push(part.text);
			})(),
		);
		expect(received).toEqual(["openai:half"]);
		expect(error.code).toBe("provider_error");
		expect(primary.calls).toHaveLength(1);
		expect(secondary.calls).toHaveLength(0);
	});

	it("end with provider_timeout when a started stream goes silent for LLM_STREAM_IDLE_TIMEOUT_MS", async () => {
		const primary = scriptedAdapter("openai", () => ({ type: "stall-after-first", text: "then nothing" }));
		const { router, metrics } = createRouter([primary], { LLM_STREAM_IDLE_TIMEOUT_MS: "50" });
		const opened = await router.openStream(router.resolve("openai/gpt-4o-mini"), request);
		const error = await failureOf(readAll(opened));
		expect(error.code).toBe("provider_timeout");
		expect(primary.calls[0]?.options.signal?.aborted).toBe(true);
		const errors = (await metrics.llmErrors.get()).values;
		expect(errors[0]).toMatchObject({ labels: { code: "provider_timeout" }, value: 1 });
	});

	it("fall back when the first part does not come within the attempt timeout", async () => {
		const primary = scriptedAdapter("openai", () => ({ type: "hang" }));
		const secondary = scriptedAdapter("anthropic", () => ({ type: "answer", text: "prompt" }));
		const { router } = createRouter([primary, secondary], {
			LLM_TIMEOUT_MS: "40",
			LLM_MAX_RETRIES: "0",
			LLM_FALLBACKS: "anthropic/claude-haiku-4-5",
		});
		const opened = await router.withFallbacks(router.resolveChain("openai/gpt-4o-mini"), (model, options) =>
			router.openStream(model, request, options),
		);
		expect(await readAll(opened.value)).toBe("anthropic:prompt");
		expect(opened.answeredBy.provider).toBe("anthropic");
	});
});

describe("total deadline", () => {
	it("ends the whole chain with provider_timeout at LLM_TOTAL_TIMEOUT_MS", async () => {
		const primary = scriptedAdapter("openai", () => ({ type: "hang" }));
		const secondary = scriptedAdapter("anthropic", () => ({ type: "hang" }));
		const { router } = createRouter([primary, secondary], {
			LLM_TIMEOUT_MS: "60000",
			LLM_TOTAL_TIMEOUT_MS: "60",
			LLM_FALLBACKS: "anthropic/claude-haiku-4-5",
		});
		const error = await failureOf(
			router.withFallbacks(router.resolveChain("openai/gpt-4o-mini"), (model, options) =>
				router.complete(model, request, options),
			),
		);
		expect(error.code).toBe("provider_timeout");
		expect(error.detail).toContain("LLM_TOTAL_TIMEOUT_MS");
		expect(primary.calls).toHaveLength(1);
		expect(primary.calls[0]?.options.signal?.aborted).toBe(true);
		expect(secondary.calls).toHaveLength(0);
	});

	it("is cleared once a call finished in time, leaving its signal alone", async () => {
		const primary = scriptedAdapter("openai", () => ({ type: "answer", text: "quick" }));
		const { router } = createRouter([primary], { LLM_TOTAL_TIMEOUT_MS: "50" });
		const result = await router.withFallbacks(router.resolveChain("openai/gpt-4o-mini"), (model, options) =>
			router.complete(model, request, options),
		);
		expect(result.value.text).toBe("openai:quick");
		await sleep(80);
		expect(primary.calls[0]?.options.signal?.aborted).toBe(false);
	});
});
