import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newId } from "../../src/store/ids.js";
import { InvalidCursorError, type Store, StoreConflictError } from "../../src/store/store-port.js";
import {
	aCollection,
	aDocument,
	addDocument,
	otherEmbedderId,
	scopeOf,
	searchModes,
	searchRequest,
	testDimensions,
	testEmbedderId,
	testVector,
} from "./knowledge/knowledge-fixtures.js";
import { describeKnowledgeSearchContract } from "./knowledge/knowledge-search.contract.js";
import { baseTime, collectPages, malformedCursors } from "./store/fixtures.js";

/**
 * The knowledge port's behaviour (collections, documents, chunks, search), for every backend;
 * registered in store.test.ts's adapter loop. Search behaviour and scope isolation are in
 * knowledge/knowledge-search.contract.ts.
 */
export function describeKnowledgeContract(name: string, createFreshStore: () => Promise<Store>): void {
	describe(`knowledge contract: ${name}`, () => {
		let current: Store | undefined;
		const store = (): Store => {
			if (current === undefined) throw new Error("the store is only available inside a test");
			return current;
		};
		beforeEach(async () => {
			current = await createFreshStore();
		});
		afterEach(async () => {
			await current?.close();
			current = undefined;
		});

		it("creates collections, finds them by owner and name or id, and rejects a duplicate name per owner", async () => {
			const owner = newId();
			const mine = aCollection({ ownerUserId: owner, name: "notes", description: "mine" });
			const shared = aCollection({ ownerUserId: null, shared: true, name: "notes" });
			expect(await store().knowledge.createCollection(mine)).toEqual(mine);
			expect(await store().knowledge.createCollection(shared)).toEqual(shared);
			expect(await store().knowledge.findCollectionByName(owner, "notes")).toEqual(mine);
			expect(await store().knowledge.findCollectionByName(null, "notes")).toEqual(shared);
			expect(await store().knowledge.findCollectionByName(newId(), "notes")).toBeUndefined();
			expect(await store().knowledge.findCollectionById(shared.id)).toEqual(shared);
			expect(await store().knowledge.findCollectionById(newId())).toBeUndefined();
			await expect(
				store().knowledge.createCollection(aCollection({ ownerUserId: owner, name: "notes" })),
			).rejects.toBeInstanceOf(StoreConflictError);
			await expect(
				store().knowledge.createCollection(aCollection({ ownerUserId: null, shared: true, name: "notes" })),
			).rejects.toBeInstanceOf(StoreConflictError);
			// Another owner may use the same name.
			await store().knowledge.createCollection(aCollection({ ownerUserId: newId(), name: "notes" }));
		});

		it("lists a user's own collections and every shared one, never another user's", async () => {
			const owner = newId();
			const mine = aCollection({ ownerUserId: owner, name: "a" });
			const theirs = aCollection({ ownerUserId: newId(), name: "b" });
			const shared = aCollection({ ownerUserId: null, shared: true, name: "c" });
			for (const collection of [mine, theirs, shared]) await store().knowledge.createCollection(collection);
			const visible = await store().knowledge.listVisibleCollections(owner);
			expect(visible.map((collection) => collection.id).sort()).toEqual([mine.id, shared.id].sort());
			expect(visible.find((collection) => collection.id === shared.id)?.shared).toBe(true);
		});

		it("stores a document with its chunks and reads it back", async () => {
			const collection = aCollection();
			const input = aDocument({ collection, title: "Wing theory", texts: ["first chunk", "second chunk"] });
			await store().knowledge.createCollection(collection);
			await store().knowledge.addDocument(input);
			expect(await store().knowledge.findDocument(input.document.id)).toEqual(input.document);
			expect(await store().knowledge.findDocument(newId())).toBeUndefined();
			const chunks = await store().knowledge.documentChunks(input.document.id);
			expect(chunks.map((chunk) => [chunk.ordinal, chunk.text, chunk.heading])).toEqual([
				[0, "first chunk", null],
				[1, "second chunk", null],
			]);
			expect(new Set(chunks.map((chunk) => chunk.chunkId)).size).toBe(2);
		});

		it("lists documents newest first per scope and collection, across pages without repeats", async () => {
			const owner = newId();
			const first = aCollection({ ownerUserId: owner });
			const second = aCollection({ ownerUserId: owner });
			const stranger = aCollection();
			const ids: string[] = [];
			for (let index = 0; index < 7; index++) {
				const collection = index % 2 === 0 ? first : second;
				// Two pairs share a timestamp: the id breaks the tie.
				const document = await addDocument(store(), {
					collection,
					texts: [`text ${index}`],
					createdAt: baseTime + Math.floor(index / 2),
				});
				ids.push(document.id);
			}
			await addDocument(store(), { collection: stranger, texts: ["not yours"] });
			const scope = scopeOf(first);
			const pages = await collectPages((cursor) => store().knowledge.listDocuments([scope], { limit: 3, cursor }));
			const listed = pages.flat().map((document) => document.id);
			expect(listed).toHaveLength(7);
			expect(new Set(listed)).toEqual(new Set(ids));
			const expectedOrder = [...ids].sort().reverse();
			expect(listed).toEqual(expectedOrder);
			const inFirst = await store().knowledge.listDocuments([scope], { limit: 100, collectionId: first.id });
			expect(inFirst.items.map((document) => document.collectionId)).toEqual(Array(4).fill(first.id));
			expect((await store().knowledge.listDocuments([], { limit: 10 })).items).toEqual([]);
			for (const cursor of malformedCursors) {
				await expect(store().knowledge.listDocuments([scope], { limit: 3, cursor })).rejects.toBeInstanceOf(
					InvalidCursorError,
				);
			}
		});

		it("adds all or nothing: a failing document leaves no row, chunk, keyword or vector behind", async () => {
			const collection = aCollection();
			await addDocument(store(), { collection, texts: ["an existing zeppelin chunk"] });
			const broken = aDocument({ collection, texts: ["doomed zeppelin alpha", "doomed zeppelin beta"] });
			broken.vectors[1] = new Float32Array(testDimensions + 3);
			await expect(store().knowledge.addDocument(broken)).rejects.toThrow();
			const mismatched = aDocument({ collection, texts: ["doomed zeppelin gamma"] });
			mismatched.vectors = [];
			await expect(store().knowledge.addDocument(mismatched)).rejects.toThrow();
			for (const input of [broken, mismatched]) {
				expect(await store().knowledge.findDocument(input.document.id)).toBeUndefined();
				expect(await store().knowledge.documentChunks(input.document.id)).toEqual([]);
			}
			for (const mode of searchModes) {
				const hits = await store().knowledge.search(searchRequest("doomed", mode, [scopeOf(collection)]));
				expect(hits.filter((hit) => hit.text.includes("doomed"))).toEqual([]);
			}
			// The failure left the store usable: the same document, fixed, goes in.
			broken.vectors[1] = testVector("doomed zeppelin beta");
			await store().knowledge.addDocument(broken);
			const found = await store().knowledge.search(searchRequest("doomed", "keyword", [scopeOf(collection)]));
			expect(found.map((hit) => hit.documentId)).toEqual([broken.document.id, broken.document.id]);
		});

		it("rejects a second document with the same id and keeps the first intact", async () => {
			const collection = aCollection();
			const document = await addDocument(store(), { collection, texts: ["original words"] });
			const copy = aDocument({ collection, texts: ["impostor words"] });
			copy.document = { ...copy.document, id: document.id };
			await expect(store().knowledge.addDocument(copy)).rejects.toBeInstanceOf(StoreConflictError);
			const hits = await store().knowledge.search(searchRequest("impostor", "keyword", [scopeOf(collection)]));
			expect(hits).toEqual([]);
			expect((await store().knowledge.documentChunks(document.id)).map((chunk) => chunk.text)).toEqual([
				"original words",
			]);
		});

		it("deletes a document with its chunks from keyword, vector and hybrid search at once", async () => {
			const collection = aCollection();
			const keep = await addDocument(store(), { collection, texts: ["kept zeppelin hangar notes"] });
			const gone = await addDocument(store(), {
				collection,
				texts: ["zeppelin mooring mast", "zeppelin envelope fabric"],
			});
			expect(await store().knowledge.deleteDocument(gone.id)).toBe(true);
			expect(await store().knowledge.deleteDocument(gone.id)).toBe(false);
			expect(await store().knowledge.findDocument(gone.id)).toBeUndefined();
			expect(await store().knowledge.documentChunks(gone.id)).toEqual([]);
			for (const mode of searchModes) {
				const hits = await store().knowledge.search(
					searchRequest("zeppelin mooring envelope", mode, [scopeOf(collection)]),
				);
				expect(hits.map((hit) => hit.documentId)).toEqual([keep.id]);
			}
			expect((await store().knowledge.termStatistics(["mooring"])).documentFrequencies).toEqual([0]);
		});

		it("keeps vector spaces apart and moves a document between them", async () => {
			const collection = aCollection();
			const scope = scopeOf(collection);
			const document = await addDocument(store(), { collection, texts: ["airship ballast", "airship gas cells"] });
			const query = searchRequest("airship ballast", "vector", [scope]);
			expect((await store().knowledge.search(query)).length).toBe(2);
			// Another embedder's space has nothing yet: its queries find nothing, never this space's vectors.
			expect(await store().knowledge.search({ ...query, embedderId: otherEmbedderId })).toEqual([]);
			expect(await store().knowledge.vectorSpaces()).toEqual([{ embedderId: testEmbedderId, chunkCount: 2 }]);

			expect((await store().knowledge.documentsInOtherSpaces(otherEmbedderId, 10)).map((item) => item.id)).toEqual([
				document.id,
			]);
			expect(await store().knowledge.documentsInOtherSpaces(testEmbedderId, 10)).toEqual([]);
			const moved = [testVector("airship ballast"), testVector("airship gas cells")];
			expect(await store().knowledge.replaceDocumentVectors(document.id, otherEmbedderId, moved)).toBe(true);
			expect(await store().knowledge.replaceDocumentVectors(newId(), otherEmbedderId, moved)).toBe(false);
			expect((await store().knowledge.findDocument(document.id))?.embedderId).toBe(otherEmbedderId);
			expect(await store().knowledge.search(query)).toEqual([]);
			expect((await store().knowledge.search({ ...query, embedderId: otherEmbedderId })).length).toBe(2);
			expect(await store().knowledge.dropVectorSpace(testEmbedderId)).toBe(true);
			expect(await store().knowledge.dropVectorSpace(testEmbedderId)).toBe(false);
			await expect(store().knowledge.dropVectorSpace(otherEmbedderId)).rejects.toThrow();
			expect(await store().knowledge.vectorSpaces()).toEqual([{ embedderId: otherEmbedderId, chunkCount: 2 }]);
			// Deleting still removes the vectors from the space the document now lives in.
			await store().knowledge.deleteDocument(document.id);
			expect(await store().knowledge.vectorSpaces()).toEqual([{ embedderId: otherEmbedderId, chunkCount: 0 }]);
		});

		it("counts chunks and document frequencies of words, matched like keywords (stemmed)", async () => {
			const collection = aCollection();
			await addDocument(store(), { collection, texts: ["wings and flaps", "a wing in a slipstream", "rotor"] });
			const statistics = await store().knowledge.termStatistics(["wing", "wings", "rotor", "nonexistentword"]);
			expect(statistics.chunkCount).toBe(3);
			expect(statistics.documentFrequencies).toEqual([2, 2, 1, 0]);
		});

		describeKnowledgeSearchContract(store);
	});
}
