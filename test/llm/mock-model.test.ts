import { describe, expect, it } from "vitest";
import { composeMockAnswer } from "../../src/llm/mock/compose-mock-answer.js";
import { createMockModel, createSeededRandom } from "../../src/llm/mock/mock-model.js";
import type { ChatMessage, ModelStreamPart } from "../../src/llm/model-port.js";
import { ProviderCallError } from "../../src/llm/model-port.js";
import { estimateMessageTokens, estimateTokens } from "../../src/llm/token-estimate.js";

const quiet = { latencyMs: 0, streamDelayMs: 0, failureRate: 0, seed: 42 };
const messages: ChatMessage[] = [
	{ role: "system", content: "You are terse." },
	{ role: "user", content: "What is the capital of France?" },
];

async function collect(parts: AsyncIterable<ModelStreamPart>): Promise<ModelStreamPart[]> {
	const collected: ModelStreamPart[] = [];
	for await (const part of parts) collected.push(part);
	return collected;
}

describe("token estimates", () => {
	it("counts o200k tokens and treats special-token text as plain text", () => {
		expect(estimateTokens("")).toBe(0);
		expect(estimateTokens("hello world")).toBe(2);
		expect(() => estimateTokens("a <|endoftext|> b")).not.toThrow();
		expect(estimateTokens("a <|endoftext|> b")).toBeGreaterThan(3);
	});

	it("adds OpenAI's per-message and reply overhead", () => {
		const contentTokens = estimateTokens("You are terse.") + estimateTokens("What is the capital of France?");
		expect(estimateMessageTokens(messages)).toBe(contentTokens + 2 * 4 + 3);
		expect(estimateMessageTokens([])).toBe(3);
	});
});

describe("mock model", () => {
	it("answers deterministically, quoting the last user message", async () => {
		const model = createMockModel(quiet);
		const first = await model.complete({ model: "parley-mock-1", messages }, {});
		const second = await createMockModel({ ...quiet, seed: 7 }).complete({ model: "other", messages }, {});
		expect(first.text).toBe(second.text);
		expect(first.text).toContain('"What is the capital of France?"');
		expect(first.text.startsWith("[mock]")).toBe(true);
		expect(first.finishReason).toBe("stop");
	});

	it("truncates very long prompts in the quote", () => {
		const answer = composeMockAnswer([{ role: "user", content: "x".repeat(1000) }]);
		expect(answer).toContain(`"${"x".repeat(200)}…"`);
		expect(answer).not.toContain("x".repeat(201));
	});

	it("reports usage from the tokenizer", async () => {
		const result = await createMockModel(quiet).complete({ model: "m", messages }, {});
		expect(result.usage).toEqual({
			promptTokens: estimateMessageTokens(messages),
			completionTokens: estimateTokens(result.text),
			totalTokens: estimateMessageTokens(messages) + estimateTokens(result.text),
		});
	});

	it("honours maxTokens with finish reason length", async () => {
		const result = await createMockModel(quiet).complete({ model: "m", messages, maxTokens: 5 }, {});
		expect(result.finishReason).toBe("length");
		expect(result.usage?.completionTokens).toBe(5);
		expect(estimateTokens(result.text)).toBeLessThanOrEqual(5);
		const full = await createMockModel(quiet).complete({ model: "m", messages }, {});
		expect(full.text.startsWith(result.text)).toBe(true);
		expect(result.text.length).toBeLessThan(full.text.length);
	});

	it("stops at a stop sequence", async () => {
		const result = await createMockModel(quiet).complete({ model: "m", messages, stop: ["You said"] }, {});
		expect(result.text).toBe("[mock] ");
		expect(result.finishReason).toBe("stop");
	});

	it("streams the same text in word chunks and ends with one finish part", async () => {
		const model = createMockModel(quiet);
		const complete = await model.complete({ model: "m", messages }, {});
		const parts = await collect(model.stream({ model: "m", messages }, {}));
		const deltas = parts.filter((part) => part.type === "text-delta");
		expect(deltas.length).toBeGreaterThan(5);
		expect(deltas.map((part) => (part.type === "text-delta" ? part.text : "")).join("")).toBe(complete.text);
		expect(parts.at(-1)).toEqual({ type: "finish", finishReason: "stop", usage: complete.usage });
		expect(parts.filter((part) => part.type === "finish")).toHaveLength(1);
	});

	it("waits streamDelayMs between chunks", async () => {
		const model = createMockModel({ ...quiet, streamDelayMs: 5 });
		const started = performance.now();
		const parts = await collect(model.stream({ model: "m", messages: [{ role: "user", content: "hi" }] }, {}));
		const gaps = parts.filter((part) => part.type === "text-delta").length - 1;
		expect(performance.now() - started).toBeGreaterThanOrEqual(gaps * 5 - 2);
	});

	it("fails the seeded fraction of calls with a retryable 503", async () => {
		const calls = 2000;
		const rate = 0.25;
		const model = createMockModel({ ...quiet, failureRate: rate, seed: 1234 });
		const expected = createSeededRandom(1234);
		let failures = 0;
		let expectedFailures = 0;
		for (let index = 0; index < calls; index++) {
			if (expected() < rate) expectedFailures++;
			try {
				await model.complete({ model: "m", messages }, {});
			} catch (error) {
				expect(error).toBeInstanceOf(ProviderCallError);
				expect(error).toMatchObject({ provider: "mock", kind: "http", status: 503, retryable: true });
				failures++;
			}
		}
		expect(failures).toBe(expectedFailures);
		expect(failures / calls).toBeGreaterThan(0.2);
		expect(failures / calls).toBeLessThan(0.3);
	});

	it("never fails with failure rate 0 and always fails with 1", async () => {
		const never = createMockModel({ ...quiet, failureRate: 0 });
		const always = createMockModel({ ...quiet, failureRate: 1 });
		for (let index = 0; index < 50; index++) {
			await expect(never.complete({ model: "m", messages }, {})).resolves.toBeDefined();
			await expect(always.complete({ model: "m", messages }, {})).rejects.toBeInstanceOf(ProviderCallError);
		}
	});

	it("waits latencyMs and aborts the wait on the signal", async () => {
		const model = createMockModel({ ...quiet, latencyMs: 5_000 });
		const controller = new AbortController();
		const started = performance.now();
		const call = model.complete({ model: "m", messages }, { signal: controller.signal });
		setTimeout(() => controller.abort(), 20);
		await expect(call).rejects.toMatchObject({ kind: "aborted", retryable: false });
		expect(performance.now() - started).toBeLessThan(1_000);

		const slow = createMockModel({ ...quiet, latencyMs: 40 });
		const slowStarted = performance.now();
		await slow.complete({ model: "m", messages }, {});
		expect(performance.now() - slowStarted).toBeGreaterThanOrEqual(35);
	});
});
