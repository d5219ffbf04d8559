import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createPriceTable } from "../../src/usage/price-table.js";

describe("price table", () => {
	const prices = createPriceTable();

	it("prices each provider's default model", () => {
		for (const model of [
			"openai/gpt-4o-mini",
			"openrouter/openai/gpt-4o-mini",
			"gemini/gemini-2.5-flash",
			"bedrock/anthropic.claude-3-5-haiku-20241022-v1:0",
			"anthropic/claude-haiku-4-5",
		]) {
			const price = prices.priceOf(model);
			expect(price, model).toBeDefined();
			expect(price?.input, model).toBeGreaterThan(0);
			expect(price?.output, model).toBeGreaterThan(price?.input ?? 0);
		}
	});

	it("turns tokens into micro-dollars: a price per million tokens is micro-dollars per token", () => {
		// gpt-4o-mini: $0.15 in, $0.60 out per million → 1000 × 0.15 + 500 × 0.6 = 450 µ$.
		expect(prices.costMicroUsd("openai/gpt-4o-mini", { promptTokens: 1000, completionTokens: 500 })).toBe(450);
		expect(prices.costMicroUsd("openai/gpt-4o", { promptTokens: 1_000_000, completionTokens: 0 })).toBe(2_500_000);
		// Rounded to whole micro-dollars: 3 × 0.15 = 0.45.
		expect(prices.costMicroUsd("openai/gpt-4o-mini", { promptTokens: 3, completionTokens: 0 })).toBe(0);
	});

	it("prices dated versions and Bedrock's regional profiles as their model", () => {
		expect(prices.priceOf("anthropic/claude-sonnet-4-5-20250929")).toEqual(
			prices.priceOf("anthropic/claude-sonnet-4-5"),
		);
		expect(prices.priceOf("openai/gpt-4o-2024-08-06")).toEqual(prices.priceOf("openai/gpt-4o"));
		expect(prices.priceOf("anthropic/claude-3-5-haiku-latest")).toEqual({ input: 0.8, output: 4 });
		expect(prices.priceOf("bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0")).toEqual({ input: 0.8, output: 4 });
		// A different model is not a version: gpt-4.1-nano is not priced as gpt-4.1.
		expect(prices.priceOf("openai/gpt-4.1-nano")).toEqual({ input: 0.1, output: 0.4 });
		expect(prices.priceOf("openai/gpt-4o-audio-preview")).toBeUndefined();
	});

	it("charges nothing for the mock, and flags unknown models with a null cost", () => {
		expect(prices.costMicroUsd("mock/parley-mock-1", { promptTokens: 500, completionTokens: 500 })).toBe(0);
		expect(prices.costMicroUsd("mock/anything", { promptTokens: 500, completionTokens: 500 })).toBe(0);
		expect(prices.priceOf("openai-compatible/llama3.2")).toBeUndefined();
		expect(prices.costMicroUsd("openai-compatible/llama3.2", { promptTokens: 500, completionTokens: 500 })).toBeNull();
	});

	it("lets LLM_PRICES override built-in prices and add models", () => {
		const config = loadConfig({
			LLM_PRICES:
				'{"openai/gpt-4o-mini":{"input":1,"output":2},"openai-compatible/llama3.2":{"input":0.05,"output":0.1}}',
		});
		const overridden = createPriceTable(config.llm.prices);
		expect(overridden.costMicroUsd("openai/gpt-4o-mini", { promptTokens: 10, completionTokens: 10 })).toBe(30);
		expect(overridden.priceOf("openai-compatible/llama3.2")).toEqual({ input: 0.05, output: 0.1 });
		expect(overridden.costMicroUsd("mock/parley-mock-1", { promptTokens: 10, completionTokens: 10 })).toBe(0);
		expect(overridden.priceOf("openai/gpt-4o")).toEqual({ input: 2.5, output: 10 });
	});

	it("refuses malformed LLM_PRICES with a readable error", () => {
		expect(() => loadConfig({ LLM_PRICES: "openai/gpt-4o-mini=1:2" })).toThrow(
			/LLM_PRICES: not valid JSON; expected something like \{"openai\/gpt-4o-mini"/,
		);
		expect(() => loadConfig({ LLM_PRICES: '{"gpt-4o-mini":{"input":1,"output":2}}' })).toThrow(
			/LLM_PRICES.*public model ids/,
		);
		expect(() => loadConfig({ LLM_PRICES: '{"openai/gpt-4o-mini":{"input":-1,"output":2}}' })).toThrow(
			/LLM_PRICES\.openai\/gpt-4o-mini\.input/,
		);
		expect(() => loadConfig({ LLM_PRICES: '{"openai/gpt-4o-mini":{"input":1}}' })).toThrow(/output/);
	});
});
