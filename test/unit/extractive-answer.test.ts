import { describe, expect, it } from "vitest";
import { extractiveAnswer } from "../../src/llm/mock/extractive-answer.js";
import { createMockModel } from "../../src/llm/mock/mock-model.js";
import { formatContextPassages, parseContextPassages } from "../../src/rag/context-format.js";

const passages = [
	{
		number: 1,
		title: "Parley guide",
		heading: "Como funciona RAG",
		text: "RAG significa geração aumentada por recuperação. O Parley busca trechos dos seus documentos e os coloca no prompt. O modelo responde citando os trechos.",
	},
	{
		number: 2,
		title: "Billing",
		heading: null,
		text: "Invoices are sent monthly. Payment is due in thirty days.",
	},
];

describe("context passages", () => {
	it("round-trip through the system prompt format", () => {
		const system = `Be brief.\n\n${formatContextPassages(passages)}`;
		expect(parseContextPassages(system)).toEqual([
			{ number: 1, title: "Parley guide — Como funciona RAG", heading: null, text: passages[0]!.text },
			{ number: 2, title: "Billing", heading: null, text: passages[1]!.text },
		]);
		expect(parseContextPassages("Just a system prompt.")).toEqual([]);
	});
});

describe("the mock model's extractive answer", () => {
	it("answers from the best-matching sentences with citation markers", () => {
		const answer = extractiveAnswer("Como funciona RAG? O que é recuperação?", passages);
		expect(answer).toContain("[1]");
		expect(answer).toContain("recuperação");
		expect(answer).not.toContain("Invoices");
	});

	it("picks the passage that matches, in English too", () => {
		expect(extractiveAnswer("When is payment due?", passages)).toBe("Payment is due in thirty days. [2]");
	});

	it("says so when nothing matches", () => {
		expect(extractiveAnswer("zebra migration", passages)).toMatch(/do not seem to answer/);
	});

	it("is what the mock model says when its system prompt carries passages", async () => {
		const model = createMockModel({ latencyMs: 0, streamDelayMs: 0, failureRate: 0, seed: 1 });
		const result = await model.complete(
			{
				model: "parley-mock-1",
				messages: [
					{ role: "system", content: formatContextPassages(passages) },
					{ role: "user", content: "When is payment due?" },
				],
			},
			{},
		);
		expect(result.text).toBe("Payment is due in thirty days. [2]");
	});
});
