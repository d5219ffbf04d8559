import type { LanguageModel } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { MemoryModelReference } from "../../src/memory/memory-model.js";
import { newId } from "../../src/store/ids.js";
import { createMemoryHarness, type MemoryHarness } from "../support/memory-harness.js";
import { modelAnswering, modelFailing, promptOf } from "../support/mock-language-models.js";
import { createWordEmbedder } from "../support/word-embedder.js";

const openAi: MemoryModelReference = { provider: "openai", model: "gpt-4o-mini" };
const decisions = (...memories: object[]) => JSON.stringify({ memories });

/** A model whose answer waits until the test releases it, to act while an extraction is under way. */
function heldModel(answer: string) {
	let release!: () => void;
	const released = new Promise<void>((resolve) => {
		release = resolve;
	});
	let called!: () => void;
	const calledOnce = new Promise<void>((resolve) => {
		called = resolve;
	});
	const model = new MockLanguageModelV4({
		doGenerate: async () => {
			called();
			await released;
			return (await modelAnswering(answer).doGenerate({ prompt: [] } as never)) as never;
		},
	});
	return { model, release, called: calledOnce };
}

describe("memory service with a real model", () => {
	let harness: MemoryHarness;
	afterEach(() => harness?.close());

	const withModel = async (model: LanguageModel, options: { defaultModel?: MemoryModelReference } = {}) => {
		const languageModelFor = vi.fn(async () => model);
		harness = await createMemoryHarness({ defaultModel: options.defaultModel ?? openAi, languageModelFor });
		return languageModelFor;
	};

	it("applies the model's decisions: updates the memory it names and adds new facts", async () => {
		const model = modelAnswering(
			decisions(
				{ event: "UPDATE", id: "0", text: "Lives in Porto", kind: "fact" },
				{ event: "ADD", id: null, text: "Works as a nurse", kind: "fact" },
			),
		);
		const languageModelFor = await withModel(model);
		const who = await harness.principal();
		const { memory: lisbon } = await harness.memory.create(who, { text: "Lives in Lisbon" });

		await harness.memory.observe(who, { message: "I moved to Porto and I'm a nurse now", interactionId: "turn-1" });
		expect(languageModelFor).toHaveBeenCalledWith(openAi);
		expect(promptOf(model)).toContain("Lives in Lisbon");
		const items = (await harness.memory.list(who, { limit: 10 })).items;
		expect(items.map((item) => item.text)).toEqual(["Works as a nurse", "Lives in Porto"]);
		expect(items[1]!.id).toBe(lisbon.id);
		expect(items[0]!.sourceInteractionId).toBe("turn-1");
	});

	it("skips an ADD of something already remembered beyond what the model was shown", async () => {
		await withModel(modelAnswering(decisions({ event: "ADD", id: null, text: "lives in lisbon", kind: "fact" })));
		const who = await harness.principal();
		await harness.memory.create(who, { text: "Lives in Lisbon" });
		await harness.memory.observe(who, { message: "I live in Lisbon" });
		expect(await harness.texts(who)).toEqual(["Lives in Lisbon"]);
	});

	it("falls back to the rules when the model answers something that is not the schema", async () => {
		await withModel(modelAnswering("Sure! The user lives in Porto."));
		const who = await harness.principal();
		await harness.memory.observe(who, { message: "I live in Porto" });
		expect(await harness.texts(who)).toEqual(["Lives in Porto"]);
		expect(harness.warnings.map((warning) => warning.message)).toEqual([
			"memory extraction by model failed; using rules",
		]);
	});

	it("falls back to the rules when the provider fails, learning nothing the rules do not find", async () => {
		await withModel(modelFailing());
		const who = await harness.principal();
		await harness.memory.observe(who, { message: "Tell me about Porto" });
		await harness.memory.observe(who, { message: "eu moro no Porto" });
		expect(await harness.texts(who)).toEqual(["Mora no Porto"]);
		expect(harness.warnings).toHaveLength(2);
	});

	it("uses the rules, without building a model, when the model's provider is the mock", async () => {
		const languageModelFor = await withModel(modelFailing(), { defaultModel: { provider: "mock", model: "m" } });
		const who = await harness.principal();
		await harness.memory.observe(who, { message: "I live in Porto" });
		await harness.memory.observe(who, { message: "I'm vegetarian", model: { provider: "mock", model: "m" } });
		expect(languageModelFor).not.toHaveBeenCalled();
		expect(await harness.texts(who)).toEqual(["Is vegetarian", "Lives in Porto"]);

		// The model a chat turn used is the one that extracts (unless MEMORY_MODEL says otherwise).
		await harness.memory.observe(who, { message: "I'm a nurse", model: openAi });
		expect(languageModelFor).toHaveBeenCalledWith(openAi);
	});

	it("extracts with MEMORY_MODEL whatever model answered the turn", async () => {
		const languageModelFor = vi.fn(async () => modelAnswering(decisions()));
		const memoryModel = { provider: "openrouter", model: "openai/gpt-4o-mini" };
		harness = await createMemoryHarness({
			defaultModel: { provider: "mock", model: "m" },
			extractionModel: memoryModel,
			languageModelFor,
		});
		const who = await harness.principal();
		await harness.memory.observe(who, { message: "I live in Porto", model: { provider: "mock", model: "m" } });
		expect(languageModelFor).toHaveBeenCalledWith(memoryModel);
		expect(await harness.texts(who)).toEqual([]);
	});

	it("uses the rules when no model can be built for the provider", async () => {
		harness = await createMemoryHarness({ defaultModel: openAi, languageModelFor: async () => undefined });
		const who = await harness.principal();
		await harness.memory.observe(who, { message: "I live in Porto" });
		expect(await harness.texts(who)).toEqual(["Lives in Porto"]);
	});

	it("never rejects: an unreachable embedder is logged, and the prompt context keeps the preferences", async () => {
		harness = await createMemoryHarness({ embedder: createWordEmbedder({ failing: true }) });
		const who = await harness.principal();
		await expect(harness.memory.observe(who, { message: "I live in Lisbon" })).resolves.toBeUndefined();
		expect(harness.warnings.map((warning) => warning.message)).toEqual(["memory extraction failed"]);

		// Stored while the embedder still worked.
		await harness.store.memories.create({
			id: newId(),
			userId: who.userId,
			text: "Prefers short answers",
			kind: "preference",
			sourceInteractionId: null,
			vector: Float32Array.of(1, 0),
			embedderId: "earlier:2",
			createdAt: 1,
			updatedAt: 1,
		});
		const context = await harness.memory.contextFor(who, "Lisbon", { maxTokens: 500 });
		expect(context.text).toBe("What you know about the user:\n- Prefers short answers");
		expect(harness.warnings.at(-1)?.message).toBe("memory search failed; using preferences only");
	});

	it("learns a fact said twice at once only once", async () => {
		harness = await createMemoryHarness();
		const who = await harness.principal();
		await Promise.all([
			harness.memory.observe(who, { message: "I live in Lisbon" }),
			harness.memory.observe(who, { message: "I live in Lisbon" }),
			harness.memory.observe(who, { message: "I live in Lisbon." }),
		]);
		expect(await harness.texts(who)).toEqual(["Lives in Lisbon"]);
	});

	it.each([
		[
			"deletes all memories",
			(harness: MemoryHarness, who: Awaited<ReturnType<MemoryHarness["principal"]>>) => harness.memory.deleteAll(who),
		],
		[
			"turns memory off",
			(harness: MemoryHarness, who: Awaited<ReturnType<MemoryHarness["principal"]>>) =>
				harness.memory.setEnabled(who, false),
		],
	])("writes nothing from a message still being learnt when the user %s", async (_case, act) => {
		const held = heldModel(decisions({ event: "ADD", id: null, text: "Lives in Porto", kind: "fact" }));
		await withModel(held.model);
		const who = await harness.principal();
		const observation = harness.memory.observe(who, { message: "I live in Porto" });
		await held.called;
		await act(harness, who);
		held.release();
		await observation;
		expect(await harness.texts(who)).toEqual([]);

		// A message sent afterwards is learnt as usual (once memory is on).
		await harness.memory.setEnabled(who, true);
		await harness.memory.observe(who, { message: "I live in Porto" });
		expect(await harness.texts(who)).toEqual(["Lives in Porto"]);
	});
});
