import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { createModelRouter } from "../../src/llm/model-router.js";
import { createMemoryModelSource, memoryModelReferences } from "../../src/memory/memory-model.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { type FakeUpstream, fixtures, startFakeUpstream } from "../support/fake-upstream.js";
import { createMemoryHarness } from "../support/memory-harness.js";

/** A Chat Completions response, as OpenAI sends it, whose message is the model's structured answer. */
function completionSaying(content: string): string {
	const completion = structuredClone(fixtures.completion) as {
		choices: Array<{ message: { content: string } }>;
	};
	completion.choices[0]!.message.content = content;
	return JSON.stringify(completion);
}

const addPorto = JSON.stringify({
	memories: [{ event: "ADD", id: null, text: "Lives in Porto", kind: "fact" }],
});

// Real: the AI SDK's OpenAI-compatible provider over HTTP to a local fake OpenAI server, SQLite.
describe("memory extraction models for OpenAI-wire providers", () => {
	let upstream: FakeUpstream;
	beforeAll(async () => {
		upstream = await startFakeUpstream();
	});
	afterAll(() => upstream.close());
	beforeEach(() => upstream.reset());

	const llmConfig = () =>
		loadConfig(
			{},
			{
				OPENAI_API_KEY: "sk-memory-test",
				OPENAI_BASE_URL: upstream.url,
				OPENAI_COMPATIBLE_BASE_URL: upstream.url,
				OPENAI_COMPATIBLE_API_KEY: "local-key",
				LLM_PROVIDER: "openai",
			},
		).llm;

	it("asks OpenAI for the schema as a strict JSON-schema response format, with the configured key", async () => {
		upstream.script({ type: "raw", status: 200, contentType: "application/json", body: completionSaying(addPorto) });
		const harness = await createMemoryHarness({
			defaultModel: { provider: "openai", model: "gpt-4o-mini" },
			languageModelFor: createMemoryModelSource(llmConfig()),
			modelCall: { maxRetries: 0, timeoutMs: 5_000 },
		});
		try {
			const who = await harness.principal();
			await harness.memory.observe(who, { message: "I moved to Porto" });
			expect(await harness.texts(who)).toEqual(["Lives in Porto"]);
			const [request] = upstream.requests;
			expect(request?.path).toBe("/v1/chat/completions");
			expect(request?.headers.authorization).toBe("Bearer sk-memory-test");
			expect(request?.body).toMatchObject({
				model: "gpt-4o-mini",
				response_format: { type: "json_schema", json_schema: { name: "memory_decisions", strict: true } },
			});
			expect(JSON.stringify(request?.body)).toContain("I moved to Porto");
		} finally {
			await harness.close();
		}
	});

	it("asks other Chat Completions servers for plain JSON, and falls back to the rules on an error", async () => {
		upstream.script(
			{ type: "raw", status: 200, contentType: "application/json", body: completionSaying(addPorto) },
			{ type: "error", status: 400 },
		);
		const harness = await createMemoryHarness({
			defaultModel: { provider: "openai-compatible", model: "llama3.2" },
			languageModelFor: createMemoryModelSource(llmConfig()),
			modelCall: { maxRetries: 0, timeoutMs: 5_000 },
		});
		try {
			const who = await harness.principal();
			await harness.memory.observe(who, { message: "I moved to Porto" });
			expect(upstream.requests[0]?.body).toMatchObject({ model: "llama3.2", response_format: { type: "json_object" } });
			expect(upstream.requests[0]?.headers.authorization).toBe("Bearer local-key");

			await harness.memory.observe(who, { message: "I'm vegetarian" });
			expect(await harness.texts(who)).toEqual(["Is vegetarian", "Lives in Porto"]);
			expect(harness.warnings.map((warning) => warning.message)).toEqual([
				"memory extraction by model failed; using rules",
			]);
		} finally {
			await harness.close();
		}
	});

	it("builds nothing for the mock or for providers this server has no settings for", async () => {
		const source = createMemoryModelSource(loadConfig({}, { LLM_PROVIDER: "mock" }).llm);
		expect(await source({ provider: "mock", model: "parley-mock-1" })).toBeUndefined();
		expect(await source({ provider: "openai", model: "gpt-4o-mini" })).toBeUndefined();
		expect(await source({ provider: "anthropic", model: "claude-haiku-4-5" })).toBeUndefined();
		const configured = createMemoryModelSource(llmConfig());
		const model = await configured({ provider: "openai", model: "gpt-4o-mini" });
		expect(model).toBeDefined();
		expect(await configured({ provider: "openai", model: "gpt-4o-mini" })).toBe(model);
	});

	it("resolves MEMORY_MODEL through the router, and refuses one no configured provider serves", () => {
		const config = loadConfig({}, { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: upstream.url });
		const router = createModelRouter({ config: config.llm, metrics: createMetrics() });
		expect(memoryModelReferences(router, undefined)).toEqual({
			defaultModel: { provider: "openai", model: "gpt-4o-mini" },
			extractionModel: undefined,
		});
		expect(memoryModelReferences(router, "mock/parley-mock-1").extractionModel).toEqual({
			provider: "mock",
			model: "parley-mock-1",
		});
		expect(() => memoryModelReferences(router, "anthropic/claude-haiku-4-5")).toThrow(ConfigError);
	});
});
