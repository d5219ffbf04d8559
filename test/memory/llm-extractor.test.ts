import { describe, expect, it } from "vitest";
import { createLlmExtractor, type ExistingMemory } from "../../src/memory/llm-extractor.js";
import { modelAnswering, modelFailing, promptOf } from "../support/mock-language-models.js";

const existing: ExistingMemory[] = [
	{ id: "0193a5c4-7b1e-7c2d-9f10-3e4d5a6b7c8d", text: "Lives in Lisbon", kind: "fact" },
	{ id: "0193a5c4-7b1e-7c2d-9f10-3e4d5a6b7c8e", text: "Is vegetarian", kind: "fact" },
	{ id: "0193a5c4-7b1e-7c2d-9f10-3e4d5a6b7c8f", text: "Prefers short answers", kind: "preference" },
];

const extractorFor = (model: ReturnType<typeof modelAnswering>) =>
	createLlmExtractor({ model, maxRetries: 0, timeoutMs: 5_000 });

/** Answers shaped like what gpt-4o-mini returns for this prompt with a JSON-schema response format. */
const recorded = {
	moved: JSON.stringify({
		memories: [
			{ event: "UPDATE", id: "0", text: "Lives in Porto", kind: "fact" },
			{ event: "DELETE", id: "1", text: "Is vegetarian", kind: "fact" },
			{ event: "NOOP", id: "2", text: "Prefers short answers", kind: "preference" },
			{ event: "ADD", id: null, text: "  Works as a   nurse ", kind: "fact" },
		],
	}),
	nothing: JSON.stringify({ memories: [] }),
};

describe("model-based memory extractor", () => {
	it("turns the model's decisions into operations on the real memories", async () => {
		const model = modelAnswering(recorded.moved);
		const decisions = await extractorFor(model).decide({
			message: "I moved to Porto, I eat meat again, and I'm a nurse now",
			existing,
		});
		expect(decisions).toEqual([
			{ event: "UPDATE", id: existing[0]!.id, text: "Lives in Porto", kind: "fact" },
			{ event: "DELETE", id: existing[1]!.id },
			{ event: "ADD", text: "Works as a nurse", kind: "fact" },
		]);
	});

	it("shows the model the message and the memories under short ids, never the real ones", async () => {
		const model = modelAnswering(recorded.nothing);
		expect(await extractorFor(model).decide({ message: "Hello there", existing })).toEqual([]);
		const prompt = promptOf(model);
		expect(prompt).toContain("Hello there");
		expect(prompt).toContain("Lives in Lisbon");
		expect(prompt).toContain('\\"id\\":\\"0\\"');
		for (const memory of existing) expect(prompt).not.toContain(memory.id);
		const call = model.doGenerateCalls[0]!;
		expect(call.responseFormat).toMatchObject({ type: "json", name: "memory_decisions" });
	});

	it("drops decisions naming memories it was not shown, repeated targets, and empty or oversized texts", async () => {
		const model = modelAnswering(
			JSON.stringify({
				memories: [
					{ event: "UPDATE", id: "7", text: "Lives in Madrid", kind: "fact" },
					{ event: "DELETE", id: existing[0]!.id, text: "", kind: "fact" },
					{ event: "DELETE", id: null, text: "", kind: "fact" },
					{ event: "UPDATE", id: "1", text: "   ", kind: "fact" },
					{ event: "DELETE", id: "2", text: "", kind: "preference" },
					{ event: "UPDATE", id: "2", text: "Prefers long answers", kind: "preference" },
					{ event: "ADD", id: null, text: "x".repeat(301), kind: "fact" },
					{ event: "ADD", id: null, text: "", kind: "fact" },
				],
			}),
		);
		expect(await extractorFor(model).decide({ message: "whatever", existing })).toEqual([
			{ event: "DELETE", id: existing[2]!.id },
		]);
	});

	it.each([
		["prose instead of JSON", "Sure! The user lives in Porto."],
		["JSON of another shape", JSON.stringify({ facts: ["Lives in Porto"] })],
		["an unknown event", JSON.stringify({ memories: [{ event: "MERGE", id: "0", text: "x", kind: "fact" }] })],
		["a missing field", JSON.stringify({ memories: [{ event: "ADD", text: "Lives in Porto", kind: "fact" }] })],
		["a wrong kind", JSON.stringify({ memories: [{ event: "ADD", id: null, text: "x", kind: "opinion" }] })],
		["truncated JSON", '{"memories": [{"event": "ADD", "id": null, "text": "Lives in Po'],
		["nothing at all", ""],
	])("rejects %s, so the caller can fall back, and decides nothing", async (_case, answer) => {
		await expect(
			extractorFor(modelAnswering(answer)).decide({ message: "I live in Porto", existing }),
		).rejects.toThrow();
	});

	it("reports a provider failure as a rejection", async () => {
		await expect(extractorFor(modelFailing()).decide({ message: "I live in Porto", existing })).rejects.toThrow(
			/ECONNREFUSED/,
		);
	});
});
