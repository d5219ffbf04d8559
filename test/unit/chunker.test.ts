import { describe, expect, it } from "vitest";
import { chunkText, countChunkTokens } from "../../src/rag/chunker.js";

const settings = { chunkTokens: 60, overlapTokens: 15 };

function sentence(index: number): string {
	return `Sentence number ${index} talks about wing loading and flutter margins.`;
}

describe("chunker", () => {
	it("returns no chunk for empty or blank input", () => {
		expect(chunkText("", settings)).toEqual([]);
		expect(chunkText(" \n\n\t \r\n ", settings)).toEqual([]);
	});

	it("keeps a short text as one chunk with its token count", () => {
		const chunks = chunkText("A short note about airships.", settings);
		expect(chunks).toEqual([
			{
				ordinal: 0,
				text: "A short note about airships.",
				heading: null,
				tokenCount: countChunkTokens("A short note about airships."),
			},
		]);
	});

	it("starts a chunk at every heading and records the heading path", () => {
		const text = [
			"# Guide",
			"Intro paragraph.",
			"## Install",
			"Run npm install.",
			"### Linux",
			"Use the package manager.",
			"## Configure",
			"Set the variables.",
			"```bash",
			"# not a heading inside a code fence",
			"```",
		].join("\n");
		const chunks = chunkText(text, { chunkTokens: 300, overlapTokens: 50 });
		expect(chunks.map((chunk) => chunk.heading)).toEqual([
			"Guide",
			"Guide › Install",
			"Guide › Install › Linux",
			"Guide › Configure",
		]);
		expect(chunks[0]!.text).toBe("# Guide\nIntro paragraph.");
		expect(chunks[3]!.text).toContain("# not a heading inside a code fence");
		expect(chunks.map((chunk) => chunk.ordinal)).toEqual([0, 1, 2, 3]);
	});

	it("skips sections that hold only their heading, unless that is the whole document", () => {
		expect(chunkText("# Title\n## Part\nBody text.", settings).map((chunk) => chunk.text)).toEqual([
			"## Part\nBody text.",
		]);
		expect(chunkText("# Only a title", settings).map((chunk) => chunk.text)).toEqual(["# Only a title"]);
	});

	it("packs paragraphs up to the size and overlaps consecutive chunks by whole sentences", () => {
		const text = Array.from({ length: 30 }, (_, index) => sentence(index)).join(" ");
		const chunks = chunkText(text, settings);
		expect(chunks.length).toBeGreaterThan(3);
		for (const chunk of chunks) {
			expect(chunk.tokenCount).toBeLessThanOrEqual(settings.chunkTokens);
			expect(countChunkTokens(chunk.text)).toBeLessThanOrEqual(settings.chunkTokens + 2);
		}
		for (let index = 1; index < chunks.length; index++) {
			const previousLastSentence = chunks[index - 1]!.text.split(/(?<=\.) /).at(-1)!;
			expect(chunks[index]!.text.startsWith(previousLastSentence)).toBe(true);
		}
		// Every sentence survives.
		const joined = chunks.map((chunk) => chunk.text).join(" ");
		for (let index = 0; index < 30; index++) expect(joined).toContain(sentence(index));
	});

	it("does not overlap when overlap is zero, and keeps paragraphs apart with a blank line", () => {
		const text = ["First paragraph about lift.", "Second paragraph about drag."].join("\n\n");
		expect(chunkText(text, { chunkTokens: 300, overlapTokens: 0 })[0]!.text).toBe(text);
		const many = Array.from({ length: 30 }, (_, index) => sentence(index)).join(" ");
		const chunks = chunkText(many, { chunkTokens: 60, overlapTokens: 0 });
		expect(chunks.map((chunk) => chunk.text).join(" ")).toBe(many);
	});

	it("hard-splits a 1 MB single line quickly, with no chunk over the size and nothing lost", () => {
		const line = "x".repeat(1_048_576);
		const started = performance.now();
		const chunks = chunkText(line, { chunkTokens: 300, overlapTokens: 50 });
		expect(performance.now() - started).toBeLessThan(10_000);
		expect(chunks.map((chunk) => chunk.text).join("")).toBe(line);
		for (const chunk of chunks) {
			expect(chunk.text.length).toBeGreaterThan(0);
			expect(chunk.tokenCount).toBeLessThanOrEqual(300);
		}
	});

	it("splits a long line of words and CJK text without whitespace, never cutting a surrogate pair", () => {
		const words = "turbulence ".repeat(20_000);
		const wordChunks = chunkText(words, { chunkTokens: 100, overlapTokens: 10 });
		for (const chunk of wordChunks) expect(chunk.tokenCount).toBeLessThanOrEqual(100);
		const cjk = "飞艇🛩️".repeat(3000);
		const cjkChunks = chunkText(cjk, { chunkTokens: 50, overlapTokens: 0 });
		expect(cjkChunks.map((chunk) => chunk.text).join("")).toBe(cjk);
		for (const chunk of cjkChunks) {
			expect(chunk.tokenCount).toBeLessThanOrEqual(50);
			expect(Buffer.from(chunk.text, "utf8").toString("utf8")).toBe(chunk.text);
		}
	});
});

describe("hostile headings", () => {
	it("chunks a 1 MB line that starts like a heading without backtracking", () => {
		// The former heading regex took ~2 s at 40 kB and would have taken minutes at 1 MB.
		const line = `# a${" ".repeat(1_000_000)}b`;
		const startedAt = performance.now();
		const chunks = chunkText(line, { chunkTokens: 300, overlapTokens: 50 });
		expect(performance.now() - startedAt).toBeLessThan(5_000);
		expect(chunks.length).toBeGreaterThan(0);
	});
});
