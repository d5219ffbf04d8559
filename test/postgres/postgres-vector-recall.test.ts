import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CollectionRecord } from "../../src/store/knowledge-port.js";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { Store } from "../../src/store/store-port.js";
import { createTestDatabase, describeWithPostgres, freshSchemaName, type TestDatabase } from "../support/postgres.js";

/**
 * Recall of scope-filtered vector search on PostgreSQL + pgvector, measured against exact results
 * on a corpus where the user's chunks are a 1% minority beside a large shared collection — the
 * case where an HNSW walk followed by `WHERE scope = …` silently loses almost everything
 * (../shared/RETRIEVAL-NOTES.md). Real parts: PostgreSQL, pgvector's HNSW index, the store.
 */

const dimensions = 32;
const embedderId = "recall-test:32";
const k = 10;
let seed = 7;
function randomUnitVector(): Float32Array {
	const vector = new Float32Array(dimensions);
	for (let index = 0; index < dimensions; index++) {
		seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
		vector[index] = (seed / 2 ** 32) * 2 - 1;
	}
	const norm = Math.hypot(...vector);
	return vector.map((value) => value / norm);
}

const shared: CollectionRecord = {
	id: "shared-handbook",
	name: "handbook",
	ownerUserId: null,
	shared: true,
	description: null,
	createdAt: 1,
};
const mine: CollectionRecord = { ...shared, id: "my-notes", name: "notes", ownerUserId: "user-1", shared: false };
const myScope = "user:user-1";

async function addVectors(
	store: Store,
	collection: CollectionRecord,
	scope: string,
	id: string,
	vectors: Float32Array[],
): Promise<void> {
	const count = vectors.length;
	const chunks = Array.from({ length: count }, (_, ordinal) => ({
		ordinal,
		text: `chunk ${ordinal}`,
		heading: null,
		tokenCount: 2,
	}));
	await store.knowledge.addDocument({
		document: {
			id,
			collectionId: collection.id,
			ownerUserId: "admin",
			scope,
			title: id,
			sourceName: null,
			mediaType: "text/plain",
			metadata: {},
			contentSha256: "0".repeat(64),
			characterCount: 10,
			chunkCount: count,
			embedderId,
			createdAt: 1,
		},
		chunks,
		vectors,
	});
}

function exactTop(vectors: Float32Array[], query: Float32Array): number[] {
	return vectors
		.map((vector, ordinal) => ({
			ordinal,
			similarity: vector.reduce((sum, value, index) => sum + value * query[index]!, 0),
		}))
		.sort((left, right) => right.similarity - left.similarity)
		.slice(0, k)
		.map((entry) => entry.ordinal);
}

const recallOf = (found: number[], exact: number[]) => exact.filter((ordinal) => found.includes(ordinal)).length / k;

await describeWithPostgres("vector recall", () => {
	describe("vector recall under a scope filter: postgres", () => {
		let database: TestDatabase;
		let graphSchema: string;
		let exactFirst: Store;
		let graphOnly: Store;
		const handbook = Array.from({ length: 15 }, () => Array.from({ length: 200 }, randomUnitVector));
		const myVectors = Array.from({ length: 30 }, randomUnitVector);
		const queries = Array.from({ length: 12 }, randomUnitVector);

		beforeAll(async () => {
			database = await createTestDatabase();
			exactFirst = await createPostgresStore({ url: database.url, schema: freshSchemaName("recall") });
			// The same data, in a store where every scope counts as large: all of it in the HNSW graph.
			graphSchema = freshSchemaName("recall_graph");
			graphOnly = await createPostgresStore({
				url: database.url,
				schema: graphSchema,
				knowledge: { vectorGraphThreshold: 0 },
			});
			for (const store of [exactFirst, graphOnly]) {
				await store.knowledge.createCollection(shared);
				await store.knowledge.createCollection(mine);
				for (const [index, vectors] of handbook.entries()) {
					await addVectors(store, shared, `shared:${shared.id}`, `handbook-${index}`, vectors);
				}
				await addVectors(store, mine, myScope, "my-document", myVectors);
			}
		}, 180_000);

		afterAll(async () => {
			await exactFirst?.close();
			await graphOnly?.close();
			await database?.drop();
		});

		const search = (store: Store, query: Float32Array) =>
			store.knowledge.search({ query: "", queryVector: query, embedderId, mode: "vector", k, scopes: [myScope] });

		it("a plain HNSW walk filtered by scope loses most of the user's neighbours (why the store avoids it)", async () => {
			const client = new pg.Client({ connectionString: database.url, options: `-c search_path=${graphSchema},public` });
			await client.connect();
			try {
				await client.query("SET enable_seqscan = off");
				await client.query("SET hnsw.iterative_scan = off");
				let total = 0;
				for (const query of queries) {
					const { rows } = await client.query<{ ordinal: number }>(
						`SELECT c.ordinal FROM knowledge_vectors_1 AS v JOIN knowledge_chunks AS c USING (chunk_key)
						WHERE v.in_graph AND (v.scope || '') = $2 ORDER BY v.embedding <=> $1 LIMIT ${k}`,
						[`[${Array.from(query).join(",")}]`, myScope],
					);
					total += recallOf(
						rows.map((row) => row.ordinal),
						exactTop(myVectors, query),
					);
				}
				expect(total / queries.length).toBeLessThan(0.5);
			} finally {
				await client.end();
			}
		});

		it("searches a small scope exactly: every query gets the exact top k", async () => {
			for (const query of queries) {
				const hits = await search(exactFirst, query);
				expect(hits.every((hit) => hit.scope === myScope)).toBe(true);
				expect(hits.map((hit) => hit.ordinal)).toEqual(exactTop(myVectors, query));
			}
		});

		it("keeps recall through the HNSW index with iterative scans when a scope counts as large", async () => {
			let total = 0;
			for (const query of queries) {
				const hits = await search(graphOnly, query);
				expect(hits.every((hit) => hit.scope === myScope)).toBe(true);
				total += recallOf(
					hits.map((hit) => hit.ordinal),
					exactTop(myVectors, query),
				);
			}
			expect(total / queries.length).toBeGreaterThanOrEqual(0.9);
		});
	});
});
