import { porterStem } from "../../text/porter-stemmer.js";
import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import type { AddDocumentInput, DocumentRecord, KnowledgeRepository, StoredChunk } from "../knowledge-port.js";
import { withConflictsMapped } from "./sqlite-conflicts.js";
import { partitionToken } from "./sqlite-fts-query.js";
import { chunkKeysPerScope } from "./sqlite-knowledge-keys.js";
import { createKnowledgeSearch, type KnowledgeSearchSettings } from "./sqlite-knowledge-search.js";
import { createKnowledgeStatements, type DocumentRow } from "./sqlite-knowledge-statements.js";
import { createVectorSpaces, loadVectorExtension } from "./sqlite-knowledge-vectors.js";
import type { SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

/**
 * Knowledge in SQLite: collections and documents in plain tables, chunk text and keywords in
 * FTS5, vectors in sqlite-vec (sqlite-knowledge-vectors.ts). Every write is one unit of the write
 * queue, so a document's row, chunks, keyword entries and vectors commit together or not at all.
 */

export interface SqliteKnowledgeOptions extends KnowledgeSearchSettings {
	now?: () => number;
}

function toDocument(row: DocumentRow): DocumentRecord {
	return { ...row, metadata: JSON.parse(row.metadata) as Record<string, unknown> };
}

export function createSqliteKnowledgeRepository(
	{ database, writeQueue }: SqliteRepositoryDependencies,
	options: SqliteKnowledgeOptions = {},
): KnowledgeRepository {
	loadVectorExtension(database);
	const now = options.now ?? Date.now;
	const vectorSpaces = createVectorSpaces(database);
	const search = createKnowledgeSearch(database, vectorSpaces, options);
	const statements = createKnowledgeStatements(database);

	/** Runs a write unit; a failed one may have created and then lost a vector table. */
	async function write<T>(work: () => T): Promise<T> {
		try {
			return await writeQueue.run(work);
		} catch (error) {
			vectorSpaces.forgetStatements();
			throw error;
		}
	}

	/** The first of `count` fresh keys in the scope's block; call inside a write unit. */
	function allocateChunkKeys(scope: string, count: number): number {
		let row = statements().scopeByName.get(scope);
		if (row === undefined) {
			statements().insertScope.run(scope);
			row = statements().scopeByName.get(scope)!;
		}
		if (row.nextChunk + count > chunkKeysPerScope) {
			throw new Error(`scope ${scope} has used all ${chunkKeysPerScope} chunk keys of its block`);
		}
		statements().advanceScope.run(count, count, scope);
		return row.scopeNumber * chunkKeysPerScope + row.nextChunk;
	}

	function removeDocumentRows(document: DocumentRow): void {
		const chunkKeys = statements().chunkKeysOfDocument.all(document.id);
		statements().advanceScope.run(0, -chunkKeys.length, document.scope);
		const space = vectorSpaces.find(document.embedderId);
		if (space !== undefined) vectorSpaces.remove(space, chunkKeys);
		for (const chunkKey of chunkKeys) statements().deleteKeywords.run(chunkKey);
		statements().deleteDocument.run(document.id);
	}

	return {
		async createCollection(collection) {
			await write(() =>
				withConflictsMapped(
					() =>
						statements().insertCollection.run(
							collection.id,
							collection.name,
							collection.ownerUserId,
							collection.shared ? 1 : 0,
							collection.description,
							collection.createdAt,
						),
					{ knowledge_collections_owner_name_unique: "id" },
				),
			);
			return { ...collection };
		},

		async findCollectionByName(ownerUserId, name) {
			return statements().collectionByName.get(ownerUserId ?? "", name);
		},

		async findCollectionById(id) {
			return statements().collectionById.get(id);
		},

		async listVisibleCollections(userId) {
			return statements().visibleCollections.all(userId);
		},

		async addDocument({ document, chunks, vectors }: AddDocumentInput) {
			if (vectors.length !== chunks.length) {
				throw new Error(`addDocument: ${chunks.length} chunks but ${vectors.length} vectors`);
			}
			const dimensions = vectors[0]?.length;
			const titleColumn = (heading: string | null) =>
				heading === null ? document.title : `${document.title}\n${heading}`;
			const scopeToken = partitionToken("scope", document.scope);
			const collectionToken = partitionToken("collection", document.collectionId);
			await write(() => {
				withConflictsMapped(() =>
					statements().insertDocument.run(
						document.id,
						document.collectionId,
						document.ownerUserId,
						document.scope,
						document.title,
						document.sourceName,
						document.mediaType,
						JSON.stringify(document.metadata),
						document.contentSha256,
						document.characterCount,
						document.chunkCount,
						document.embedderId,
						document.createdAt,
					),
				);
				const space =
					dimensions === undefined ? undefined : vectorSpaces.ensure(document.embedderId, dimensions, now());
				const firstKey = allocateChunkKeys(document.scope, chunks.length);
				for (const [index, chunk] of chunks.entries()) {
					const chunkKey = firstKey + index;
					statements().insertChunk.run(chunkKey, document.id, chunk.ordinal, chunk.heading, chunk.tokenCount);
					statements().insertKeywords.run(
						chunkKey,
						scopeToken,
						collectionToken,
						titleColumn(chunk.heading),
						chunk.text,
					);
					if (space !== undefined) {
						vectorSpaces.insert(space, chunkKey, document.scope, document.collectionId, vectors[index]!);
					}
				}
			});
		},

		async findDocument(id) {
			const row = statements().documentById.get(id);
			return row === undefined ? undefined : toDocument(row);
		},

		async listDocuments(scopes, request) {
			checkPageLimit(request.limit);
			if (scopes.length === 0) return { items: [], nextCursor: null };
			const position = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
			const parameters: unknown[] = [JSON.stringify(scopes)];
			if (request.collectionId !== undefined) parameters.push(request.collectionId);
			if (position !== undefined) parameters.push(position.timestamp, position.id);
			parameters.push(request.limit + 1);
			const rows = statements()
				.listDocuments(request.collectionId !== undefined, position !== undefined)
				.all(...parameters);
			return toPage(rows.map(toDocument), request.limit, (document) => ({
				timestamp: document.createdAt,
				id: document.id,
			}));
		},

		deleteDocument(id) {
			return write(() => {
				const document = statements().documentById.get(id);
				if (document === undefined) return false;
				removeDocumentRows(document);
				return true;
			});
		},

		async search(request) {
			return search.search(request);
		},

		async vectorSpaces() {
			return vectorSpaces.list().map(({ space, vectorCount }) => ({
				embedderId: space.embedderId,
				chunkCount: vectorCount,
			}));
		},

		async termStatistics(words) {
			const frequency = statements().documentFrequency;
			return {
				chunkCount: statements().countChunks.get() ?? 0,
				// FTS5's porter tokenizer stems every indexed word; look words up the same way.
				documentFrequencies: words.map((word) => frequency.get(porterStem(word)) ?? 0),
			};
		},

		async documentsInOtherSpaces(embedderId, limit) {
			return statements().documentsInOtherSpaces.all(embedderId, limit).map(toDocument);
		},

		async documentChunks(documentId): Promise<StoredChunk[]> {
			return statements().chunksOfDocument.all(documentId);
		},

		replaceDocumentVectors(documentId, embedderId, vectors) {
			return write(() => {
				const document = statements().documentById.get(documentId);
				if (document === undefined) return false;
				const chunkKeys = statements().chunkKeysOfDocument.all(documentId);
				if (chunkKeys.length !== vectors.length) {
					throw new Error(`document ${documentId} has ${chunkKeys.length} chunks, got ${vectors.length} vectors`);
				}
				const oldSpace = vectorSpaces.find(document.embedderId);
				if (oldSpace !== undefined) vectorSpaces.remove(oldSpace, chunkKeys);
				const dimensions = vectors[0]?.length;
				if (dimensions !== undefined) {
					const space = vectorSpaces.ensure(embedderId, dimensions, now());
					for (const [index, chunkKey] of chunkKeys.entries()) {
						vectorSpaces.insert(space, chunkKey, document.scope, document.collectionId, vectors[index]!);
					}
				}
				statements().setDocumentEmbedder.run(embedderId, documentId);
				return true;
			});
		},

		dropVectorSpace(embedderId) {
			return write(() => {
				const space = vectorSpaces.find(embedderId);
				if (space === undefined) return false;
				if (statements().documentUsesEmbedder.get(embedderId) !== undefined) {
					throw new Error(`vector space ${embedderId} is still used by documents`);
				}
				vectorSpaces.drop(space);
				return true;
			});
		},
	};
}
