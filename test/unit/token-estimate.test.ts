import { describe, expect, it } from "vitest";
import { estimateTokens } from "../../src/llm/token-estimate.js";

describe("token estimates", () => {
	it("count ordinary text exactly as o200k_base does", () => {
		expect(estimateTokens("Hello, world!")).toBe(4);
		expect(estimateTokens("")).toBe(0);
	});

	it("stay linear on megabyte runs of spaces or of characters without spaces", () => {
		// One such run used to be a single BPE pre-token: quadratic, minutes for 1 MB.
		for (const text of [" ".repeat(1_000_000), "x".repeat(1_000_000), `# a${" ".repeat(1_000_000)}b`]) {
			const startedAt = performance.now();
			const tokens = estimateTokens(text);
			expect(performance.now() - startedAt).toBeLessThan(5_000);
			expect(tokens).toBeGreaterThan(1_000);
			expect(tokens).toBeLessThan(1_000_000);
		}
	});
});
