import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { evaluateRetrieval } from "../../scripts/rag-evaluation.js";

/**
 * Retrieval quality on Cranfield through the real ingestion and search path (DocumentService,
 * chunker, local embedder, SQLite FTS5 + sqlite-vec). The pipeline is deterministic, so these are
 * exact regressions guards: measured 0.372 keyword, 0.357 vector, 0.379 hybrid nDCG@10; hybrid
 * beats keyword in ~96% of paired bootstrap resamples.
 */
const dataset = new URL("../../../shared/data/cranfield/", import.meta.url).pathname;
const available = existsSync(`${dataset}corpus.jsonl`);

describe.runIf(available || process.env.CI === "true")("retrieval quality on Cranfield", () => {
	it("keyword reaches 0.352 nDCG@10 and hybrid beats keyword", { timeout: 120_000 }, async () => {
		const result = await evaluateRetrieval({ datasetDirectory: dataset, k: 100 });
		const keyword = result.modes.keyword!;
		const vector = result.modes.vector!;
		const hybrid = result.modes.hybrid!;
		expect(result.documents).toBe(1398);
		expect(result.queries).toBe(225);
		expect(keyword.ndcgAt10).toBeGreaterThanOrEqual(0.352);
		expect(keyword.recallAtK).toBeGreaterThanOrEqual(0.72);
		expect(vector.ndcgAt10).toBeGreaterThanOrEqual(0.34);
		expect(hybrid.ndcgAt10).toBeGreaterThan(keyword.ndcgAt10);
		expect(hybrid.recallAtK).toBeGreaterThanOrEqual(keyword.recallAtK);
	});
});
