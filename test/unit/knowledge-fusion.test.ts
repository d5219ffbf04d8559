import { describe, expect, it } from "vitest";
import { fuseReciprocalRank, fuseWeighted } from "../../src/store/knowledge-fusion.js";

const list = (...entries: Array<[string, number]>) => entries.map(([key, score]) => ({ key, score }));

describe("weighted min-max fusion", () => {
	it("scales each list to 0..1 and weighs the keyword list by the given share", () => {
		const fused = fuseWeighted(list(["a", 10], ["b", 5], ["c", 0]), list(["c", 0.9], ["b", 0.5], ["d", 0.1]), 0.7);
		const byKey = Object.fromEntries(fused.map((candidate) => [candidate.key, candidate.score]));
		expect(byKey.a).toBeCloseTo(0.7);
		expect(byKey.b).toBeCloseTo(0.7 * 0.5 + 0.3 * 0.5);
		expect(byKey.c).toBeCloseTo(0.3);
		expect(byKey.d).toBeCloseTo(0);
		expect(fused.map((candidate) => candidate.key)).toEqual(["a", "b", "c", "d"]);
		expect(fused[0]).toMatchObject({ keywordRank: 0, vectorRank: undefined });
		expect(fused[1]).toMatchObject({ keywordRank: 1, vectorRank: 1 });
	});

	it("ranks by the vector list alone at weight 0 and the keyword list alone at weight 1", () => {
		const keyword = list(["a", 3], ["b", 2]);
		const vector = list(["b", 0.9], ["a", 0.2]);
		expect(fuseWeighted(keyword, vector, 0).map((candidate) => candidate.key)).toEqual(["b", "a"]);
		expect(fuseWeighted(keyword, vector, 1).map((candidate) => candidate.key)).toEqual(["a", "b"]);
	});

	it("gives full marks to a list of equal scores and handles empty lists", () => {
		expect(fuseWeighted(list(["a", 2], ["b", 2]), [], 0.6).map((candidate) => candidate.score)).toEqual([0.6, 0.6]);
		expect(fuseWeighted([], list(["x", 0.4]), 0.6)).toEqual([
			{ key: "x", score: expect.closeTo(0.4), keywordRank: undefined, vectorRank: 0 },
		]);
		expect(fuseWeighted([], [], 0.6)).toEqual([]);
	});

	it("breaks ties by keyword rank, then vector rank, deterministically", () => {
		const fused = fuseWeighted(list(["a", 1], ["b", 1]), list(["c", 1], ["d", 1]), 0.5);
		expect(fused.map((candidate) => candidate.key)).toEqual(["a", "b", "c", "d"]);
	});
});

describe("reciprocal rank fusion", () => {
	it("sums 1/(k + rank) over the lists", () => {
		const fused = fuseReciprocalRank(list(["a", 9], ["b", 8]), list(["b", 0.9], ["c", 0.8]), 60);
		expect(fused.map((candidate) => candidate.key)).toEqual(["b", "a", "c"]);
		expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61);
	});
});
