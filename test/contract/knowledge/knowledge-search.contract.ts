import { describe, expect, it } from "vitest";
import { newId } from "../../../src/store/ids.js";
import type { ChunkHit } from "../../../src/store/knowledge-port.js";
import type { Store } from "../../../src/store/store-port.js";
import {
	aCollection,
	addDocument,
	craftedQueries,
	scopeOf,
	searchModes,
	searchRequest,
	testVector,
} from "./knowledge-fixtures.js";

/** Keyword, vector and hybrid search, and scope isolation under hostile queries. */
export function describeKnowledgeSearchContract(store: () => Store): void {
	describe("search", () => {
		it("finds chunks by keyword with stemming, ranks title matches first, and returns a snippet", async () => {
			const collection = aCollection();
			const scope = scopeOf(collection);
			const inTitle = await addDocument(store(), {
				collection,
				title: "Slipstream effects on wings",
				texts: ["measurements behind a propeller at several angles of attack"],
			});
			const inBody = await addDocument(store(), {
				collection,
				title: "Boundary layers",
				texts: ["the slipstream of a propeller changes the lift of the wing behind it"],
			});
			await addDocument(store(), { collection, title: "Unrelated", texts: ["hypersonic heat transfer in nozzles"] });
			const hits = await store().knowledge.search(searchRequest("slipstreams", "keyword", [scope]));
			expect(hits.map((hit) => hit.documentId)).toEqual([inTitle.id, inBody.id]);
			const [best] = hits;
			expect(best).toMatchObject({
				chunkId: expect.any(String),
				collectionId: collection.id,
				scope,
				title: "Slipstream effects on wings",
				heading: null,
				ordinal: 0,
				text: "measurements behind a propeller at several angles of attack",
			});
			expect(best!.score).toBeGreaterThan(hits[1]!.score);
			expect(hits[1]!.snippet).toContain("slipstream");
		});

		it("ranks by vector similarity within the requested embedder's space", async () => {
			const collection = aCollection();
			const scope = scopeOf(collection);
			const near = await addDocument(store(), { collection, title: "t", texts: ["delta wing vortex lift"] });
			await addDocument(store(), { collection, title: "t", texts: ["rocket nozzle erosion"] });
			const hits = await store().knowledge.search(
				searchRequest("", "vector", [scope], { queryVector: testVector("t delta wing vortex lift") }),
			);
			expect(hits[0]?.documentId).toBe(near.id);
			expect(hits[0]!.score).toBeCloseTo(1, 4);
			expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
			expect(hits[0]!.snippet.length).toBeGreaterThan(0);
		});

		it("drops vector candidates below minimumSimilarity, in vector and hybrid modes, but keeps keyword matches", async () => {
			const collection = aCollection();
			const scope = scopeOf(collection);
			const related = await addDocument(store(), { collection, title: "t", texts: ["delta wing vortex lift"] });
			const unrelated = await addDocument(store(), { collection, title: "t", texts: ["rocket nozzle erosion"] });
			const queryVector = testVector("t delta wing vortex lift");
			const vectorHits = await store().knowledge.search(
				searchRequest("", "vector", [scope], { queryVector, minimumSimilarity: 0.5 }),
			);
			expect(vectorHits.map((hit) => hit.documentId)).toEqual([related.id]);
			// "nozzle" matches a keyword of the unrelated document, whose vector is far from the query.
			const hybridHits = await store().knowledge.search(
				searchRequest("nozzle", "hybrid", [scope], { queryVector, minimumSimilarity: 0.5 }),
			);
			expect(hybridHits.map((hit) => hit.documentId).sort()).toEqual([related.id, unrelated.id].sort());
			const nothingClose = await store().knowledge.search(
				searchRequest("", "vector", [scope], { queryVector: testVector("zebra migration"), minimumSimilarity: 0.5 }),
			);
			expect(nothingClose).toEqual([]);
		});

		it("fuses both rankings in hybrid mode: a chunk found by both comes first, others still appear", async () => {
			const collection = aCollection();
			const scope = scopeOf(collection);
			const both = await addDocument(store(), {
				collection,
				title: "t",
				texts: ["flutter of panels in supersonic flow"],
			});
			const keywordOnly = await addDocument(store(), {
				collection,
				title: "t",
				texts: [`flutter ${"unrelated filler words about measurement rigs ".repeat(6)}`],
			});
			const hits = await store().knowledge.search(
				searchRequest("flutter panels", "hybrid", [scope], {
					queryVector: testVector("t flutter of panels in supersonic flow"),
				}),
			);
			expect(hits[0]?.documentId).toBe(both.id);
			expect(hits.map((hit) => hit.documentId)).toContain(keywordOnly.id);
			expect(hits.length).toBeLessThanOrEqual(10);
		});

		it("returns at most k hits, and nothing for no scopes or an empty collection filter", async () => {
			const collection = aCollection();
			const scope = scopeOf(collection);
			await addDocument(store(), {
				collection,
				texts: Array.from({ length: 8 }, (_, index) => `shock wave reflection ${index}`),
			});
			for (const mode of searchModes) {
				expect(await store().knowledge.search(searchRequest("shock wave", mode, [scope], { k: 3 }))).toHaveLength(3);
				expect(await store().knowledge.search(searchRequest("shock wave", mode, []))).toEqual([]);
				expect(
					await store().knowledge.search(searchRequest("shock wave", mode, [scope], { collectionIds: [] })),
				).toEqual([]);
			}
		});

		it("restricts every mode to the given collections", async () => {
			const owner = newId();
			const first = aCollection({ ownerUserId: owner });
			const second = aCollection({ ownerUserId: owner });
			await addDocument(store(), { collection: first, texts: ["transonic buffet onset"] });
			await addDocument(store(), { collection: second, texts: ["transonic buffet boundary"] });
			for (const mode of searchModes) {
				const hits = await store().knowledge.search(
					searchRequest("transonic buffet", mode, [scopeOf(first)], { collectionIds: [second.id] }),
				);
				expect(hits.length).toBeGreaterThan(0);
				expect(new Set(hits.map((hit) => hit.collectionId))).toEqual(new Set([second.id]));
			}
		});

		it("never returns a chunk outside the requested scopes, whatever the query", async () => {
			const mine = aCollection();
			const other = aCollection();
			const shared = aCollection({ ownerUserId: null, shared: true });
			const otherShared = aCollection({ ownerUserId: null, shared: true });
			await addDocument(store(), { collection: mine, title: "Mine", texts: ["zeppelin wing notes"] });
			await addDocument(store(), { collection: shared, title: "Handbook", texts: ["zeppelin handbook wing"] });
			const secret = "secret zeppelin wing title body scope user other 1234567890";
			await addDocument(store(), { collection: other, title: "Secret", texts: [secret, `${secret} NEAR`] });
			await addDocument(store(), { collection: otherShared, title: "Secret", texts: [secret] });
			const allowed = new Set([scopeOf(mine), scopeOf(shared)]);
			const outside = (hits: ChunkHit[]) => hits.filter((hit) => !allowed.has(hit.scope) || hit.title === "Secret");
			for (const query of craftedQueries) {
				for (const mode of searchModes) {
					const request = searchRequest(query, mode, [...allowed], { k: 50 });
					const hits = await store().knowledge.search(request);
					expect(outside(hits), `${mode}: ${query.slice(0, 40)}`).toEqual([]);
					const withCollection = await store().knowledge.search({ ...request, collectionIds: [other.id] });
					expect(withCollection, `${mode} with another user's collection: ${query.slice(0, 40)}`).toEqual([]);
				}
			}
			// The same words do find the other scope's chunks when it is asked for.
			const theirs = await store().knowledge.search(searchRequest("secret zeppelin", "keyword", [scopeOf(other)]));
			expect(theirs.length).toBe(2);
		});
	});
}
