import { describe, expect, it } from "vitest";
import { createLocalEmbedder, localEmbedderId } from "../../src/rag/local-embedder.js";
import type { TermStatistics } from "../../src/store/knowledge-port.js";
import { foldText, guessLanguage, keywordQueryTerms, splitWords } from "../../src/text/analyze.js";
import { portugueseStem, spanishStem } from "../../src/text/light-stemmers.js";
import { porterStem } from "../../src/text/porter-stemmer.js";

const cosine = (left: Float32Array, right: Float32Array) =>
	left.reduce((sum, value, index) => sum + value * right[index]!, 0);
const norm = (vector: Float32Array) => Math.sqrt(cosine(vector, vector));

describe("porter stemmer", () => {
	it("reduces words as the published algorithm does (and as FTS5's porter tokenizer does)", () => {
		const expected: Record<string, string> = {
			caresses: "caress",
			ponies: "poni",
			cats: "cat",
			agreed: "agre",
			plastered: "plaster",
			motoring: "motor",
			hopping: "hop",
			filing: "file",
			happy: "happi",
			relational: "relat",
			conditional: "condit",
			generalization: "gener",
			electrical: "electr",
			adjustment: "adjust",
			controlling: "control",
			aerodynamics: "aerodynam",
			slipstream: "slipstream",
			wings: "wing",
			"4degrees": "4degre",
			is: "is",
			naïve: "naïve",
		};
		for (const [word, stem] of Object.entries(expected)) expect(porterStem(word), word).toBe(stem);
	});
});

describe("text analysis", () => {
	it("folds case and diacritics like unicode61 and splits on anything but letters and digits", () => {
		expect(foldText("Proteção ÉLAN Zoë")).toBe("protecao elan zoe");
		expect(splitWords(foldText("don't stop: 3.5-inch, naïve—café"))).toEqual([
			"don",
			"t",
			"stop",
			"3",
			"5",
			"inch",
			"naive",
			"cafe",
		]);
	});

	it("guesses English, Portuguese and Spanish from function words, English by default", () => {
		expect(guessLanguage(splitWords("what is the lift of the wing"))).toBe("en");
		expect(guessLanguage(splitWords("como funciona o sistema de memoria para os usuarios"))).toBe("pt");
		expect(guessLanguage(splitWords("el sistema de los usuarios y las consultas"))).toBe("es");
		expect(guessLanguage(splitWords("zeppelin hangar"))).toBe("en");
	});

	it("light-stems Portuguese and Spanish plurals and gender", () => {
		expect(portugueseStem("protecoes")).toBe(portugueseStem("protecao"));
		expect(portugueseStem("modelos")).toBe(portugueseStem("modelo"));
		expect(spanishStem("consultas")).toBe(spanishStem("consulta"));
		expect(spanishStem("lapices")).toBe(spanishStem("lapiz"));
	});

	it("keeps the distinct content words of a query, or its function words when that is all there is", () => {
		expect(keywordQueryTerms("What are the effects of the slipstream on the wing?")).toEqual([
			"effects",
			"slipstream",
			"wing",
		]);
		expect(keywordQueryTerms("what is it")).toEqual(["what", "is", "it"]);
		expect(keywordQueryTerms("!!! ... ???")).toEqual([]);
		expect(
			keywordQueryTerms(`${"lift ".repeat(10)}${Array.from({ length: 50 }, (_, index) => `w${index}`).join(" ")}`),
		).toHaveLength(32);
	});
});

describe("local embedder", () => {
	const embedder = createLocalEmbedder({ dimensions: 1024 });

	it("names its space by version and dimension", () => {
		expect(embedder.id).toBe(localEmbedderId(1024));
		expect(embedder.dimensions).toBe(1024);
		expect(createLocalEmbedder({ dimensions: 2048 }).id).not.toBe(embedder.id);
	});

	it("is deterministic and returns unit vectors of its dimension", async () => {
		const texts = ["Boundary layer transition on a flat plate", "Wing flutter at transonic speeds"];
		const first = await embedder.embed(texts, "document");
		const second = await createLocalEmbedder({ dimensions: 1024 }).embed(texts, "document");
		expect(first.map((vector) => Array.from(vector))).toEqual(second.map((vector) => Array.from(vector)));
		for (const vector of first) {
			expect(vector).toHaveLength(1024);
			expect(norm(vector)).toBeCloseTo(1, 5);
		}
	});

	it("puts texts sharing words and word forms closer than unrelated ones", async () => {
		const [query, inflected, related, unrelated] = await embedder.embed(
			[
				"heat transfer in hypersonic flow",
				"heating and transferring heat at hypersonic flows",
				"supersonic flow over a cone",
				"the recipe needs flour, sugar and butter",
			],
			"document",
		);
		expect(cosine(query!, inflected!)).toBeGreaterThan(cosine(query!, related!));
		expect(cosine(query!, related!)).toBeGreaterThan(cosine(query!, unrelated!));
		expect(cosine(query!, unrelated!)).toBeLessThan(0.2);
	});

	it("gives partial credit to misspellings and compounds through character n-grams", async () => {
		const [correct, misspelt, other] = await embedder.embed(["aerodynamic", "aerodinamic", "thermostat"], "document");
		expect(cosine(correct!, misspelt!)).toBeGreaterThan(0.2);
		expect(cosine(correct!, misspelt!)).toBeGreaterThan(cosine(correct!, other!) + 0.15);
	});

	it("handles Unicode, empty and huge inputs without failing", async () => {
		const vectors = await embedder.embed(
			["", "   ", "🛩️ 飞艇 ﷺ", "Proteção de dados pessoais", "x".repeat(100_000), "a b c ".repeat(50_000)],
			"document",
		);
		expect(vectors).toHaveLength(6);
		expect(Array.from(vectors[0]!).every((value) => value === 0)).toBe(true);
		expect(norm(vectors[2]!)).toBeCloseTo(1, 5);
		const [accented, folded] = await embedder.embed(["Proteção", "protecao"], "document");
		expect(cosine(accented!, folded!)).toBeCloseTo(1, 5);
	});

	it("weighs query words by inverse document frequency from the index's statistics", async () => {
		const frequencies: Record<string, number> = { wing: 900, flutter: 3 };
		const asked: string[][] = [];
		const termStatistics = {
			async termStatistics(words: readonly string[]): Promise<TermStatistics> {
				asked.push([...words]);
				return { chunkCount: 1000, documentFrequencies: words.map((word) => frequencies[word] ?? 0) };
			},
		};
		const weighted = createLocalEmbedder({ dimensions: 1024, termStatistics });
		const [query] = await weighted.embed(["wing flutter"], "query");
		const [aboutWing, aboutFlutter] = await weighted.embed(["wing", "flutter"], "document");
		expect(cosine(query!, aboutFlutter!)).toBeGreaterThan(cosine(query!, aboutWing!) * 2);
		expect(asked).toEqual([["wing", "flutter"]]);
		// Documents are never weighted, and without statistics queries are not either.
		const [unweighted] = await createLocalEmbedder({ dimensions: 1024 }).embed(["wing flutter"], "query");
		expect(cosine(unweighted!, aboutFlutter!) / cosine(unweighted!, aboutWing!)).toBeLessThan(1.5);
	});
});
