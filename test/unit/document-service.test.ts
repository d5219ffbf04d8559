import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Principal } from "../../src/auth/principal.js";
import { AppError } from "../../src/errors.js";
import { createDocumentService } from "../../src/rag/document-service.js";
import type { DocumentService } from "../../src/rag/document-service-types.js";
import { createLocalEmbedder, localEmbedderId } from "../../src/rag/local-embedder.js";
import { reindexKnowledge } from "../../src/rag/reindex.js";
import { newId } from "../../src/store/ids.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store-port.js";

/** Real parts: SQLite store (FTS5, sqlite-vec), chunker and local embedder; nothing mocked. */

const directory = mkdtempSync(path.join(tmpdir(), "parley-documents-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function principal(roles: string[] = []): Principal {
	const userId = newId();
	return {
		userId,
		email: null,
		username: userId,
		roles,
		method: "access-token",
		apiKeyId: null,
		mayActForOthers: false,
	};
}

async function expectAppError(promise: Promise<unknown>, code: string): Promise<void> {
	const failure = await promise.then(
		() => undefined,
		(error: unknown) => error,
	);
	expect(failure).toBeInstanceOf(AppError);
	expect((failure as AppError).code).toBe(code);
}

describe("document service", () => {
	let store: Store;
	let documents: DocumentService;
	const guide = "# Deploying\nRun the zeppelin deployment script.\n\n## Rollback\nUse the hangar rollback command.";

	beforeEach(async () => {
		store = await createSqliteStore({ filename: path.join(directory, `${newId()}.db`) });
		documents = createDocumentService({
			knowledge: store.knowledge,
			embedder: createLocalEmbedder({ dimensions: 512, termStatistics: store.knowledge }),
			chunking: { chunkTokens: 300, overlapTokens: 50 },
			now: () => 1_750_000_000_000,
		});
	});
	afterEach(() => store.close());

	it("ingests into the caller's private default collection, with hash, counts and embedder id", async () => {
		const alice = principal();
		const record = await documents.ingest(alice, {
			title: " Operations guide ",
			text: guide,
			mediaType: "text/markdown",
			sourceName: "guide.md",
			metadata: { team: "ops" },
		});
		expect(record).toMatchObject({
			title: "Operations guide",
			ownerUserId: alice.userId,
			scope: `user:${alice.userId}`,
			sourceName: "guide.md",
			mediaType: "text/markdown",
			metadata: { team: "ops" },
			characterCount: guide.length,
			chunkCount: 2,
			embedderId: localEmbedderId(512),
			createdAt: 1_750_000_000_000,
		});
		expect(record.contentSha256).toMatch(/^[0-9a-f]{64}$/);
		const collections = await documents.collections(alice);
		expect(collections.map((collection) => [collection.name, collection.shared])).toEqual([["default", false]]);
		expect(record.collectionId).toBe(collections[0]!.id);
		expect(await documents.get(alice, record.id)).toEqual(record);
	});

	it("refuses an empty document, and creates a private collection named on upload", async () => {
		const alice = principal();
		await expectAppError(
			documents.ingest(alice, { title: "Empty", text: " \n\t ", mediaType: "text/plain" }),
			"document_empty",
		);
		const added = await documents.ingest(alice, {
			title: "x",
			text: "words",
			collection: "nope",
			mediaType: "text/plain",
		});
		const collections = await documents.collections(alice);
		const created = collections.find((collection) => collection.id === added.collectionId);
		expect(created).toMatchObject({ name: "nope", shared: false, ownerUserId: alice.userId });
		await expectAppError(documents.search(alice, "words", { k: 3, collection: "still-nope" }), "not_found");
	});

	it("searches the caller's documents and shared ones, never another user's, with heading paths", async () => {
		const alice = principal();
		const bob = principal();
		const admin = principal(["admin"]);
		await documents.ingest(alice, { title: "Guide", text: guide, mediaType: "text/markdown" });
		await documents.ingest(bob, { title: "Bob's", text: "zeppelin rollback secrets of bob", mediaType: "text/plain" });
		await documents.createCollection(admin, { name: "handbook", shared: true, description: "For everyone" });
		await documents.ingest(admin, {
			title: "Handbook",
			text: "Company zeppelin rollback policy.",
			collection: "handbook",
			mediaType: "text/plain",
		});
		for (const mode of ["keyword", "vector", "hybrid"] as const) {
			const hits = await documents.search(alice, "zeppelin rollback", { k: 10, mode });
			expect(hits.length, mode).toBeGreaterThan(0);
			expect(
				hits.every((hit) => hit.title !== "Bob's"),
				mode,
			).toBe(true);
		}
		const hits = await documents.search(alice, "hangar rollback command", { k: 1 });
		expect(hits[0]).toMatchObject({ title: "Guide", heading: "Deploying › Rollback" });
		const inHandbook = await documents.search(alice, "zeppelin rollback", { k: 10, collection: "handbook" });
		expect(inHandbook.map((hit) => hit.title)).toEqual(["Handbook"]);
		expect(await documents.search(alice, "   ", { k: 4 })).toEqual([]);
		await expectAppError(documents.search(alice, "x", { k: 0 }), "validation_failed");
		await expectAppError(documents.search(alice, "x", { k: 1.5 }), "validation_failed");
	});

	it("lets only admins create and write shared collections; anyone writes their own", async () => {
		const alice = principal();
		const admin = principal(["admin"]);
		await expectAppError(documents.createCollection(alice, { name: "team", shared: true }), "forbidden");
		await expectAppError(documents.createCollection(admin, { name: "default", shared: true }), "validation_failed");
		await expectAppError(documents.createCollection(alice, { name: "  ", shared: false }), "validation_failed");
		const shared = await documents.createCollection(admin, { name: "team", shared: true });
		expect(await documents.createCollection(admin, { name: "team", shared: true })).toEqual(shared);
		await expectAppError(
			documents.ingest(alice, { title: "x", text: "words", collection: "team", mediaType: "text/plain" }),
			"forbidden",
		);
		const mine = await documents.createCollection(alice, { name: "research", shared: false });
		const record = await documents.ingest(alice, {
			title: "Paper",
			text: "wing flutter",
			collection: "research",
			mediaType: "text/plain",
		});
		expect(record.collectionId).toBe(mine.id);
		const listed = await documents.list(alice, { limit: 10, collection: "research" });
		expect(listed.items.map((item) => item.id)).toEqual([record.id]);
	});

	it("reads and deletes by ownership: others get not_found, admins may delete shared documents", async () => {
		const alice = principal();
		const bob = principal();
		const admin = principal(["admin"]);
		const own = await documents.ingest(alice, {
			title: "Mine",
			text: "private zeppelin notes",
			mediaType: "text/plain",
		});
		await documents.createCollection(admin, { name: "handbook", shared: true });
		const shared = await documents.ingest(admin, {
			title: "Shared",
			text: "shared zeppelin notes",
			collection: "handbook",
			mediaType: "text/plain",
		});
		await expectAppError(documents.get(bob, own.id), "not_found");
		await expectAppError(documents.delete(bob, own.id), "not_found");
		expect((await documents.get(bob, shared.id)).id).toBe(shared.id);
		await expectAppError(documents.delete(bob, shared.id), "not_found");
		expect((await documents.list(bob, { limit: 10 })).items.map((item) => item.id)).toEqual([shared.id]);
		expect((await documents.list(alice, { limit: 10 })).items).toHaveLength(2);
		await documents.delete(alice, own.id);
		await documents.delete(admin, shared.id);
		await expectAppError(documents.get(alice, own.id), "not_found");
		expect(await documents.search(alice, "zeppelin notes", { k: 5 })).toEqual([]);
	});

	it("re-indexes every document into a new embedder's space and drops the old one", async () => {
		const alice = principal();
		await documents.ingest(alice, { title: "Guide", text: guide, mediaType: "text/markdown" });
		await documents.ingest(alice, { title: "Other", text: "wing flutter at transonic speed", mediaType: "text/plain" });
		const next = createLocalEmbedder({ dimensions: 1024, termStatistics: store.knowledge });
		const progress: number[] = [];
		const result = await reindexKnowledge({
			knowledge: store.knowledge,
			embedder: next,
			batchSize: 1,
			onProgress: (step) => progress.push(step.documentsMoved),
		});
		expect(result).toEqual({ documentsMoved: 2, chunksEmbedded: 3, droppedSpaces: [localEmbedderId(512)] });
		expect(progress).toEqual([1, 2]);
		expect(await store.knowledge.vectorSpaces()).toEqual([{ embedderId: next.id, chunkCount: 3 }]);
		const moved = createDocumentService({
			knowledge: store.knowledge,
			embedder: next,
			chunking: { chunkTokens: 300, overlapTokens: 50 },
		});
		const hits = await moved.search(alice, "hangar rollback", { k: 1, mode: "vector" });
		expect(hits[0]?.heading).toBe("Deploying › Rollback");
		expect(await reindexKnowledge({ knowledge: store.knowledge, embedder: next })).toEqual({
			documentsMoved: 0,
			chunksEmbedded: 0,
			droppedSpaces: [],
		});
	});
});
