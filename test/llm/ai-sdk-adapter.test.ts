import { APICallError } from "ai";
import { convertArrayToReadableStream, MockLanguageModelV4 } from "ai/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAiSdkAdapter } from "../../src/llm/ai-sdk/ai-sdk-adapter.js";
import { loadLanguageModelFactory } from "../../src/llm/ai-sdk/ai-sdk-providers.js";
import type { ModelStreamPart } from "../../src/llm/model-port.js";
import { ProviderCallError } from "../../src/llm/model-port.js";
import { anthropicFixtures, type FakeAnthropic, startFakeAnthropic } from "../support/fake-anthropic.js";

const usage = {
	inputTokens: { total: 12, noCache: 12, cacheRead: 0, cacheWrite: 0 },
	outputTokens: { total: 5, text: 5, reasoning: 0 },
};

const messages = [
	{ role: "system" as const, content: "Answer in one word." },
	{ role: "user" as const, content: "Capital of France?" },
	{ role: "assistant" as const, content: "Paris." },
	{ role: "user" as const, content: "And of Italy?" },
];

function adapterWith(model: MockLanguageModelV4) {
	const created: string[] = [];
	const adapter = createAiSdkAdapter({
		provider: "gemini",
		apiKey: "configured",
		createFactory: () => (modelId) => {
			created.push(modelId);
			return model;
		},
	});
	return { adapter, created };
}

async function collect(parts: AsyncIterable<ModelStreamPart>): Promise<ModelStreamPart[]> {
	const collected: ModelStreamPart[] = [];
	for await (const part of parts) collected.push(part);
	return collected;
}

function apiCallError(statusCode: number, headers: Record<string, string> = {}, message = "upstream says no") {
	return new APICallError({
		message,
		url: "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
		requestBodyValues: {},
		statusCode,
		responseHeaders: headers,
		isRetryable: statusCode === 429 || statusCode >= 500,
	});
}

describe("AI SDK adapter with a mock language model", () => {
	it("translates messages, parameters, text, finish reason and usage (generate)", async () => {
		const model = new MockLanguageModelV4({
			doGenerate: {
				content: [{ type: "text", text: "Rome." }],
				finishReason: { unified: "length", raw: "MAX_TOKENS" },
				usage,
				warnings: [],
			},
		});
		const { adapter, created } = adapterWith(model);
		const result = await adapter.complete(
			{ model: "gemini-2.5-flash", messages, temperature: 0.3, topP: 0.8, maxTokens: 16, stop: ["\n"], seed: 9 },
			{},
		);
		expect(result).toEqual({
			text: "Rome.",
			finishReason: "length",
			usage: { promptTokens: 12, completionTokens: 5, totalTokens: 17 },
		});
		const call = model.doGenerateCalls[0];
		expect(call).toMatchObject({ temperature: 0.3, topP: 0.8, maxOutputTokens: 16, stopSequences: ["\n"], seed: 9 });
		expect(call?.prompt.map((message) => message.role)).toEqual(["system", "user", "assistant", "user"]);
		expect(call?.prompt[0]).toMatchObject({ role: "system", content: "Answer in one word." });
		// One model instance per id, made once.
		await adapter.complete({ model: "gemini-2.5-flash", messages }, {});
		expect(created).toEqual(["gemini-2.5-flash"]);
	});

	it("streams text deltas and one finish part", async () => {
		const model = new MockLanguageModelV4({
			doStream: {
				stream: convertArrayToReadableStream([
					{ type: "stream-start", warnings: [] },
					{ type: "text-start", id: "t" },
					{ type: "text-delta", id: "t", delta: "Ro" },
					{ type: "text-delta", id: "t", delta: "me." },
					{ type: "text-end", id: "t" },
					{ type: "finish", finishReason: { unified: "stop", raw: "STOP" }, usage },
				]),
			},
		});
		const { adapter } = adapterWith(model);
		const parts = await collect(adapter.stream({ model: "gemini-2.5-flash", messages }, {}));
		expect(parts).toEqual([
			{ type: "text-delta", text: "Ro" },
			{ type: "text-delta", text: "me." },
			{ type: "finish", finishReason: "stop", usage: { promptTokens: 12, completionTokens: 5, totalTokens: 17 } },
		]);
	});

	it("maps a 429 APICallError to a retryable http failure with Retry-After", async () => {
		const model = new MockLanguageModelV4({
			doGenerate: async () => {
				throw apiCallError(429, { "retry-after": "2" }, "Resource has been exhausted (e.g. check quota).");
			},
		});
		const { adapter } = adapterWith(model);
		const error = await adapter
			.complete({ model: "gemini-2.5-flash", messages }, {})
			.catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(ProviderCallError);
		expect(error).toMatchObject({
			provider: "gemini",
			kind: "http",
			status: 429,
			retryable: true,
			retryAfterMs: 2_000,
			upstreamMessage: "Resource has been exhausted (e.g. check quota).",
		});
		expect(model.doGenerateCalls).toHaveLength(1);
	});

	it("maps a 400 APICallError to a non-retryable failure, also when streaming", async () => {
		const model = new MockLanguageModelV4({
			doStream: async () => {
				throw apiCallError(400, {}, "Invalid JSON payload received.");
			},
		});
		const { adapter } = adapterWith(model);
		await expect(collect(adapter.stream({ model: "gemini-2.5-flash", messages }, {}))).rejects.toMatchObject({
			kind: "http",
			status: 400,
			retryable: false,
			upstreamMessage: "Invalid JSON payload received.",
		});
		expect(model.doStreamCalls).toHaveLength(1);
	});

	it("reports a stream without a finish part as broken", async () => {
		const model = new MockLanguageModelV4({
			doStream: {
				stream: convertArrayToReadableStream([
					{ type: "text-start", id: "t" },
					{ type: "error", error: apiCallError(503, {}, "overloaded") },
				]),
			},
		});
		const { adapter } = adapterWith(model);
		await expect(collect(adapter.stream({ model: "m", messages }, {}))).rejects.toMatchObject({
			status: 503,
			retryable: true,
		});
	});

	it("keeps one provider instance per caller key", async () => {
		const settingsSeen: Array<string | undefined> = [];
		const model = new MockLanguageModelV4({
			doGenerate: {
				content: [{ type: "text", text: "ok" }],
				finishReason: { unified: "stop", raw: "stop" },
				usage,
				warnings: [],
			},
		});
		const adapter = createAiSdkAdapter({
			provider: "anthropic",
			apiKey: "configured",
			createFactory: (settings) => {
				settingsSeen.push(settings.apiKey);
				return () => model;
			},
		});
		await adapter.complete({ model: "m", messages }, {});
		await adapter.complete({ model: "m", messages }, { credentials: { apiKey: "user-key" } });
		await adapter.complete({ model: "m", messages }, { credentials: { apiKey: "user-key" } });
		await adapter.complete({ model: "m", messages }, {});
		expect(settingsSeen).toEqual(["configured", "user-key"]);
	});
});

describe("AI SDK provider packages", () => {
	it("load on demand and build models for Gemini, Anthropic and Bedrock", async () => {
		const gemini = await loadLanguageModelFactory("gemini", { apiKey: "g" });
		const anthropic = await loadLanguageModelFactory("anthropic", { apiKey: "a" });
		const bedrock = await loadLanguageModelFactory("bedrock", { region: "eu-west-1" });
		expect(gemini("gemini-2.5-flash")).toMatchObject({ provider: "google.generative-ai", modelId: "gemini-2.5-flash" });
		expect(anthropic("claude-haiku-4-5")).toMatchObject({
			provider: "anthropic.messages",
			modelId: "claude-haiku-4-5",
		});
		expect(bedrock("anthropic.claude-3-5-haiku-20241022-v1:0")).toMatchObject({ provider: "amazon-bedrock" });
	});
});

describe("AI SDK adapter against a fake Anthropic Messages API", () => {
	let fake: FakeAnthropic;
	let adapter: ReturnType<typeof createAiSdkAdapter>;

	beforeAll(async () => {
		fake = await startFakeAnthropic();
		adapter = createAiSdkAdapter({ provider: "anthropic", apiKey: "sk-ant-test", baseUrl: fake.url });
	});
	afterAll(async () => {
		await fake.close();
	});

	it("completes over the wire", async () => {
		const result = await adapter.complete({ model: "claude-haiku-4-5", messages, maxTokens: 100 }, {});
		expect(result).toEqual({ text: anthropicFixtures.text, finishReason: "stop", usage: anthropicFixtures.usage });
		const sent = fake.requests.at(-1);
		expect(sent?.path).toBe("/v1/messages");
		expect(sent?.headers["x-api-key"]).toBe("sk-ant-test");
		expect(sent?.body).toMatchObject({ model: "claude-haiku-4-5", max_tokens: 100 });
		expect(JSON.stringify(sent?.body.system)).toContain("Answer in one word.");
		expect(sent?.body.messages).toHaveLength(3);
	});

	it("streams over the wire", async () => {
		const parts = await collect(adapter.stream({ model: "claude-haiku-4-5", messages }, {}));
		expect(parts.map((part) => (part.type === "text-delta" ? part.text : "")).join("")).toBe(anthropicFixtures.text);
		expect(parts.at(-1)).toEqual({ type: "finish", finishReason: "stop", usage: anthropicFixtures.usage });
		expect(fake.requests.at(-1)?.body).toMatchObject({ stream: true });
	});

	it("maps Anthropic's 529 overloaded and 400 errors", async () => {
		fake.script({ type: "error", status: 529, retryAfterSeconds: 3 }, { type: "error", status: 400 });
		await expect(adapter.complete({ model: "claude-haiku-4-5", messages }, {})).rejects.toMatchObject({
			kind: "http",
			status: 529,
			retryable: true,
			retryAfterMs: 3_000,
			upstreamMessage: "Overloaded",
		});
		const rejected = await adapter
			.complete({ model: "claude-haiku-4-5", messages }, {})
			.catch((caught: unknown) => caught);
		expect(rejected).toMatchObject({ kind: "http", status: 400, retryable: false });
		expect((rejected as ProviderCallError).upstreamMessage).toContain("max_tokens");
	});
});
