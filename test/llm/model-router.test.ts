import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { AppError } from "../../src/errors.js";
import { createAiSdkAdapter } from "../../src/llm/ai-sdk/ai-sdk-adapter.js";
import { createMockModel } from "../../src/llm/mock/mock-model.js";
import type { LanguageModelAdapter } from "../../src/llm/model-port.js";
import { createModelRouter } from "../../src/llm/model-router.js";
import { createMetrics } from "../../src/observability/metrics.js";

const messages = [{ role: "user" as const, content: "hello" }];

function llmConfig(overrides: Record<string, string>) {
	return loadConfig({}, overrides).llm;
}

describe("model router: resolution", () => {
	const config = llmConfig({
		LLM_PROVIDER: "openrouter",
		OPENAI_API_KEY: "sk-openai",
		OPENROUTER_API_KEY: "sk-or",
		LLM_MODELS: "openai/gpt-4.1-mini,anthropic/claude-sonnet-4-5,meta-llama/llama-3.3-70b-instruct",
		LLM_CONTEXT_TOKENS: "4096",
	});
	const router = createModelRouter({ config, metrics: createMetrics({ collectProcessMetrics: false }) });
	afterAll(() => router.close());

	it("routes an omitted model to the configured default", () => {
		expect(router.resolve()).toMatchObject({
			id: "openrouter/openai/gpt-4o-mini",
			provider: "openrouter",
			model: "openai/gpt-4o-mini",
		});
		expect(router.resolve(null).id).toBe("openrouter/openai/gpt-4o-mini");
		expect(router.resolve("  ").id).toBe("openrouter/openai/gpt-4o-mini");
	});

	it("routes a configured provider prefix there, and anything else whole to the default provider", () => {
		expect(router.resolve("openai/gpt-4o")).toMatchObject({ id: "openai/gpt-4o", provider: "openai", model: "gpt-4o" });
		expect(router.resolve("meta-llama/llama-3.1-8b-instruct")).toMatchObject({
			id: "openrouter/meta-llama/llama-3.1-8b-instruct",
			provider: "openrouter",
			model: "meta-llama/llama-3.1-8b-instruct",
		});
		expect(router.resolve("openrouter/anthropic/claude-3.5-haiku")).toMatchObject({
			provider: "openrouter",
			model: "anthropic/claude-3.5-haiku",
		});
		expect(router.resolve("gpt-4o-mini")).toMatchObject({ provider: "openrouter", model: "gpt-4o-mini" });
	});

	it("always offers the mock", () => {
		const resolved = router.resolve("mock/parley-mock-1");
		expect(resolved).toMatchObject({ provider: "mock", model: "parley-mock-1" });
		expect(resolved.adapter.provider).toBe("mock");
	});

	it("resolves a provider without a server key only for users' own keys, refusing calls without one", async () => {
		const resolved = router.resolve("anthropic/claude-haiku-4-5");
		expect(resolved).toMatchObject({ provider: "anthropic", model: "claude-haiku-4-5", serverCredentials: false });
		expect(router.resolve("openai/gpt-4o").serverCredentials).toBe(true);
		const error = await router.complete(resolved, { messages }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(AppError);
		expect(error).toMatchObject({ code: "unknown_model", status: 400 });
		expect((error as AppError).detail).toContain("ANTHROPIC_API_KEY");
		expect((error as AppError).detail).toContain("PUT /v1/users/me/provider-keys/anthropic");
		const streamed = router.stream(resolved, { messages })[Symbol.asyncIterator]().next();
		await expect(streamed).rejects.toMatchObject({ code: "unknown_model" });
		expect(() => router.resolve("openai/")).toThrow(AppError);
		expect(() => router.resolve("bedrock/anthropic.claude-3-5-haiku-20241022-v1:0")).toThrow(AppError);
	});

	it("lists each configured provider's default model, the advertised ones it can serve and the mock", () => {
		const ids = router.listModels().map((model) => model.id);
		expect(ids).toEqual([
			"openai/gpt-4o-mini",
			"openrouter/openai/gpt-4o-mini",
			"openai/gpt-4.1-mini",
			"openrouter/meta-llama/llama-3.3-70b-instruct",
			"mock/parley-mock-1",
		]);
		expect(router.listModels().find((model) => model.id === "mock/parley-mock-1")?.provider).toBe("mock");
	});

	it("knows context windows of common models and falls back to the configured default", () => {
		expect(router.contextWindow(router.resolve("openai/gpt-4o-mini"))).toBe(128_000);
		expect(router.contextWindow(router.resolve("openai/gpt-4.1-nano"))).toBe(1_047_576);
		expect(router.contextWindow(router.resolve("openai/o3-mini"))).toBe(200_000);
		expect(router.contextWindow(router.resolve("openrouter/anthropic/claude-3.5-haiku"))).toBe(200_000);
		expect(router.contextWindow(router.resolve("google/gemini-2.5-flash"))).toBe(1_048_576);
		expect(router.contextWindow(router.resolve("meta-llama/llama-3.1-8b-instruct"))).toBe(131_072);
		expect(router.contextWindow(router.resolve("mistralai/mistral-small"))).toBe(4096);
		expect(router.contextWindow(router.resolve("mock/parley-mock-1"))).toBe(4096);
	});

	it("reports every provider's configuration and circuit", () => {
		const status = router.providerStatus();
		expect(status.map((entry) => entry.provider).sort()).toEqual(
			["anthropic", "bedrock", "gemini", "mock", "openai", "openai-compatible", "openrouter"].sort(),
		);
		expect(status.find((entry) => entry.provider === "openai")).toEqual({
			provider: "openai",
			configured: true,
			circuit: "closed",
		});
		expect(status.find((entry) => entry.provider === "gemini")?.configured).toBe(false);
	});
});

describe("model router: mock calls and pass-through support", () => {
	const metrics = createMetrics({ collectProcessMetrics: false });
	const config = llmConfig({ GEMINI_API_KEY: "g-key" });
	const adapters = new Map<string, LanguageModelAdapter>([
		["gemini", createAiSdkAdapter({ provider: "gemini", apiKey: "g-key" })],
		["mock", createMockModel({ latencyMs: 0, streamDelayMs: 0, failureRate: 0, seed: 1 })],
	]);
	const router = createModelRouter({ config, metrics, adapters });
	afterAll(() => router.close());

	it("completes with the mock, counting attempts and tokens", async () => {
		const result = await router.complete(router.resolve("mock/parley-mock-1"), { messages });
		expect(result.attempts).toBe(1);
		expect(result.text).toContain('"hello"');
		const tokens = (await metrics.llmTokens.get()).values;
		expect(tokens.find((value) => value.labels.type === "prompt")?.value).toBe(result.usage?.promptTokens);
		expect(tokens.find((value) => value.labels.type === "completion")?.value).toBe(result.usage?.completionTokens);
		const durations = (await metrics.llmRequestDuration.get()).values;
		expect(
			durations.find((value) => value.metricName?.endsWith("_count") && value.labels.outcome === "success")?.value,
		).toBe(1);
	});

	it("streams with the mock", async () => {
		let text = "";
		for await (const part of router.stream(router.resolve("mock/parley-mock-1"), { messages })) {
			if (part.type === "text-delta") text += part.text;
		}
		expect(text).toContain('"hello"');
	});

	it("refuses to forward raw Chat Completions to a provider that does not speak them", async () => {
		const resolved = router.resolve("gemini/gemini-2.5-flash");
		await expect(router.forwardJson(resolved, { model: "x" })).rejects.toMatchObject({ code: "unknown_model" });
		await expect(router.forwardStream(resolved, { model: "x" })).rejects.toMatchObject({ code: "unknown_model" });
	});
});

describe("model router: failures with a seeded failing mock", () => {
	it("retries the mock's simulated 503s", async () => {
		const metrics = createMetrics({ collectProcessMetrics: false });
		const config = llmConfig({
			MOCK_LLM_FAILURE_RATE: "0.5",
			MOCK_LLM_SEED: "3",
			LLM_MAX_RETRIES: "8",
			LLM_RETRY_BASE_DELAY_MS: "0",
			LLM_BREAKER_THRESHOLD: "100",
		});
		const router = createModelRouter({ config, metrics });
		let attempts = 0;
		for (let index = 0; index < 20; index++) {
			const result = await router.complete(router.resolve("mock/parley-mock-1"), { messages: [] });
			attempts += result.attempts;
		}
		expect(attempts).toBeGreaterThan(25);
		const counted = (await metrics.llmAttempts.get()).values[0]?.value;
		expect(counted).toBe(attempts);
		await router.close();
	});
});

let unusedPort: number;
beforeAll(async () => {
	const { createServer } = await import("node:net");
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	unusedPort = (server.address() as { port: number }).port;
	await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("model router: unreachable upstream", () => {
	it("gives provider_error after retrying a refused connection", async () => {
		const metrics = createMetrics({ collectProcessMetrics: false });
		const config = llmConfig({
			OPENAI_API_KEY: "sk",
			OPENAI_BASE_URL: `http://127.0.0.1:${unusedPort}/v1`,
			LLM_MAX_RETRIES: "2",
			LLM_RETRY_BASE_DELAY_MS: "1",
		});
		const router = createModelRouter({ config, metrics });
		await expect(router.complete(router.resolve("openai/gpt-4o-mini"), { messages: [] })).rejects.toMatchObject({
			code: "provider_error",
			status: 502,
		});
		expect((await metrics.llmAttempts.get()).values[0]?.value).toBe(3);
		const errors = (await metrics.llmErrors.get()).values;
		expect(errors[0]).toMatchObject({
			labels: { provider: "openai", model: "gpt-4o-mini", code: "provider_error" },
			value: 1,
		});
		await router.close();
	});
});
