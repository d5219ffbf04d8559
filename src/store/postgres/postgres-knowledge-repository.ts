import { porterStem } from "../../text/porter-stemmer.js";
import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import { indexKeywords, lexemeOf } from "../keyword-text.js";
import type {
	AddDocumentInput,
	CollectionRecord,
	DocumentRecord,
	KnowledgeRepository,
	StoredChunk,
} from "../knowledge-port.js";
import { withConflictsMapped } from "./postgres-conflicts.js";
import { corpusStatistics, countTerms, documentFrequencies } from "./postgres-keyword-search.js";
import { createKnowledgeSearch, type KnowledgeSearchSettings } from "./postgres-knowledge-search.js";
import {
	dropVectorSpace,
	ensureVectorSpace,
	findVectorSpace,
	insertVectors,
	listVectorSpaces,
	moveScopeIntoGraph,
	removeVectors,
} from "./postgres-knowledge-vectors.js";
import { type PostgresRepositoryDependencies, type Queryable, queryOne } from "./postgres-repository-support.js";

/**
 * Knowledge in PostgreSQL: collections, documents and chunks (with their tsvector) in plain
 * tables, vectors in pgvector tables (postgres-knowledge-vectors.ts). Every write is one
 * transaction, so a document's row, chunks, keywords and vectors commit together or not at all.
 */

export interface PostgresKnowledgeOptions extends KnowledgeSearchSettings {
	now?: () => number;
	/**
	 * A scope whose chunks grow past this many joins the HNSW graph; smaller scopes are searched
	 * exactly (see postgres-knowledge-vectors.ts). Default 20,000: exact search of one scope stays
	 * in the tens of milliseconds up to about there (../shared/RETRIEVAL-NOTES.md).
	 */
	vectorGraphThreshold?: number;
}

export const defaultVectorGraphThreshold = 20_000;

const collectionColumns = `id, name, owner_user_id AS "ownerUserId", shared, description, created_at AS "createdAt"`;

const documentColumns = `id, collection_id AS "collectionId", owner_user_id AS "ownerUserId", scope, title,
	source_name AS "sourceName", media_type AS "mediaType", metadata, content_sha256 AS "contentSha256",
	character_count AS "characterCount", chunk_count AS "chunkCount", embedder_id AS "embedderId", created_at AS "createdAt"`;

async function documentById(database: Queryable, id: string): Promise<DocumentRecord | undefined> {
	return queryOne<DocumentRecord>(database, `SELECT ${documentColumns} FROM knowledge_documents WHERE id = $1`, [id]);
}

/** Removes chunks and keyword tokens from a scope's counters. */
async function uncountInScope(database: Queryable, scope: string, chunks: number, tokens: number): Promise<void> {
	await database.query(
		"UPDATE knowledge_scopes SET chunk_count = chunk_count - $2, keyword_length = keyword_length - $3 WHERE scope = $1",
		[scope, chunks, tokens],
	);
}

/**
 * Adds chunks and keyword tokens to a scope's counters, and tells whether the scope's vectors
 * belong in the HNSW graph — and whether it has just grown into it. The counter row stays locked
 * to the end of the transaction: uploads into one scope take turns here.
 */
async function countInScope(
	database: Queryable,
	scope: string,
	chunks: number,
	tokens: number,
	graphThreshold: number,
): Promise<{ inGraph: boolean; joinedGraph: boolean }> {
	await database.query(
		`INSERT INTO knowledge_scopes (scope, chunk_count, keyword_length) VALUES ($1, 0, 0) ON CONFLICT (scope) DO NOTHING`,
		[scope],
	);
	const { rows } = await database.query<{ chunkCount: number; inGraph: boolean }>(
		`SELECT chunk_count AS "chunkCount", in_graph AS "inGraph" FROM knowledge_scopes WHERE scope = $1 FOR UPDATE`,
		[scope],
	);
	const before = rows[0] ?? { chunkCount: 0, inGraph: false };
	const inGraph = before.inGraph || before.chunkCount + chunks > graphThreshold;
	await database.query(
		`UPDATE knowledge_scopes SET chunk_count = chunk_count + $2, keyword_length = keyword_length + $3, in_graph = $4
		WHERE scope = $1`,
		[scope, chunks, tokens, inGraph],
	);
	return { inGraph, joinedGraph: inGraph && !before.inGraph };
}

export function createPostgresKnowledgeRepository(
	dependencies: PostgresRepositoryDependencies,
	options: PostgresKnowledgeOptions = {},
): KnowledgeRepository {
	const { pool, transaction } = dependencies;
	const now = options.now ?? Date.now;
	const graphThreshold = options.vectorGraphThreshold ?? defaultVectorGraphThreshold;
	const search = createKnowledgeSearch(dependencies, options);

	/**
	 * Finds or creates a vector space in a transaction of its own, before the document's. Creating
	 * the space's table (its foreign key to knowledge_chunks) must wait for every transaction that
	 * is inserting chunks; inside a document's transaction, which holds chunk rows and may hold a
	 * scope counter another upload waits for, that wait can close a deadlock. An empty space left
	 * by a document that then fails costs nothing and is reused.
	 */
	function ensureSpace(embedderId: string, dimensions: number) {
		return transaction((client) => ensureVectorSpace(client, embedderId, dimensions, now()));
	}

	async function removeDocumentRows(database: Queryable, document: DocumentRecord): Promise<void> {
		const { rows } = await database.query<{ chunks: number; tokens: number }>(
			`SELECT count(*) AS chunks, coalesce(sum(keyword_length), 0) AS tokens FROM knowledge_chunks WHERE document_id = $1`,
			[document.id],
		);
		const { chunks = 0, tokens = 0 } = rows[0] ?? {};
		const terms = await database.query<{ lexeme: string; chunks: number }>(
			`SELECT lexeme, count(*) AS chunks FROM knowledge_chunks, jsonb_object_keys(term_frequencies) AS lexeme
			WHERE document_id = $1 GROUP BY lexeme`,
			[document.id],
		);
		// Terms first, then the scope: the order uploads take them in too.
		await countTerms(database, new Map(terms.rows.map((row) => [row.lexeme, row.chunks])), -1);
		await uncountInScope(database, document.scope, chunks, tokens);
		// Chunks, and through them the vectors, go with the document (ON DELETE CASCADE).
		await database.query("DELETE FROM knowledge_documents WHERE id = $1", [document.id]);
	}

	return {
		async createCollection(collection) {
			await withConflictsMapped(
				() =>
					pool.query(
						`INSERT INTO knowledge_collections (id, name, owner_user_id, shared, description, created_at)
						VALUES ($1, $2, $3, $4, $5, $6)`,
						[
							collection.id,
							collection.name,
							collection.ownerUserId,
							collection.shared,
							collection.description,
							collection.createdAt,
						],
					),
				{ knowledge_collections_owner_name_unique: "id" },
			);
			return { ...collection };
		},

		async findCollectionByName(ownerUserId, name) {
			return queryOne<CollectionRecord>(
				pool,
				`SELECT ${collectionColumns} FROM knowledge_collections WHERE coalesce(owner_user_id, '') = $1 AND name = $2`,
				[ownerUserId ?? "", name],
			);
		},

		async findCollectionById(id) {
			return queryOne<CollectionRecord>(pool, `SELECT ${collectionColumns} FROM knowledge_collections WHERE id = $1`, [
				id,
			]);
		},

		async listVisibleCollections(userId) {
			const { rows } = await pool.query<CollectionRecord>(
				`SELECT ${collectionColumns} FROM knowledge_collections
				WHERE coalesce(owner_user_id, '') = $1 OR shared ORDER BY shared, name COLLATE "C", id`,
				[userId],
			);
			return rows;
		},

		async addDocument({ document, chunks, vectors }: AddDocumentInput) {
			if (vectors.length !== chunks.length) {
				throw new Error(`addDocument: ${chunks.length} chunks but ${vectors.length} vectors`);
			}
			const dimensions = vectors[0]?.length;
			const titleColumn = (heading: string | null) =>
				heading === null ? document.title : `${document.title}\n${heading}`;
			const keywords = chunks.map((chunk) => indexKeywords(titleColumn(chunk.heading), chunk.text));
			const space = dimensions === undefined ? undefined : await ensureSpace(document.embedderId, dimensions);
			await withConflictsMapped(() =>
				transaction(async (client) => {
					await client.query(
						`INSERT INTO knowledge_documents (id, collection_id, owner_user_id, scope, title, source_name, media_type,
							metadata, content_sha256, character_count, chunk_count, embedder_id, created_at)
						VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
						[
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
						],
					);
					const { rows } = await client.query<{ chunkKey: number; ordinal: number }>(
						`INSERT INTO knowledge_chunks (document_id, scope, collection_id, ordinal, heading, token_count, title, body,
							keyword_length, keywords, term_frequencies)
						SELECT $1, $2, $3, chunk.ordinal, chunk.heading, chunk.token_count, chunk.title, chunk.body,
							chunk.keyword_length, chunk.keywords::tsvector, chunk.term_frequencies
						FROM unnest($4::int[], $5::text[], $6::int[], $7::text[], $8::text[], $9::int[], $10::text[], $11::jsonb[])
							WITH ORDINALITY AS chunk (ordinal, heading, token_count, title, body, keyword_length, keywords,
								term_frequencies, position)
						ORDER BY chunk.position
						RETURNING chunk_key AS "chunkKey", ordinal`,
						[
							document.id,
							document.scope,
							document.collectionId,
							chunks.map((chunk) => chunk.ordinal),
							chunks.map((chunk) => chunk.heading),
							chunks.map((chunk) => chunk.tokenCount),
							chunks.map((chunk) => titleColumn(chunk.heading)),
							chunks.map((chunk) => chunk.text),
							keywords.map((entry) => entry.length),
							keywords.map((entry) => entry.tsvector),
							keywords.map((entry) => JSON.stringify(entry.frequencies)),
						],
					);
					const terms = new Map<string, number>();
					for (const entry of keywords) {
						for (const lexeme of Object.keys(entry.frequencies)) terms.set(lexeme, (terms.get(lexeme) ?? 0) + 1);
					}
					await countTerms(client, terms, 1);
					const tokens = keywords.reduce((sum, entry) => sum + entry.length, 0);
					const graph = await countInScope(client, document.scope, chunks.length, tokens, graphThreshold);
					if (graph.joinedGraph) await moveScopeIntoGraph(client, document.scope);
					if (space !== undefined) {
						// Ordinals are unique per document (a constraint), so they pair each vector with its chunk's key.
						const keyOfOrdinal = new Map(rows.map((row) => [row.ordinal, row.chunkKey]));
						await insertVectors(
							client,
							space,
							chunks.map((chunk, index) => ({
								chunkKey: keyOfOrdinal.get(chunk.ordinal)!,
								scope: document.scope,
								collectionId: document.collectionId,
								vector: vectors[index]!,
							})),
							graph.inGraph,
						);
					}
				}),
			);
		},

		async findDocument(id) {
			return documentById(pool, id);
		},

		async listDocuments(scopes, request) {
			checkPageLimit(request.limit);
			if (scopes.length === 0) return { items: [], nextCursor: null };
			const position = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
			const parameters: unknown[] = [scopes];
			const conditions = ["scope = ANY($1)"];
			if (request.collectionId !== undefined) {
				parameters.push(request.collectionId);
				conditions.push(`collection_id = $${parameters.length}`);
			}
			if (position !== undefined) {
				parameters.push(position.timestamp, position.id);
				conditions.push(`(created_at, id) < ($${parameters.length - 1}, $${parameters.length})`);
			}
			parameters.push(request.limit + 1);
			const { rows } = await pool.query<DocumentRecord>(
				`SELECT ${documentColumns} FROM knowledge_documents WHERE ${conditions.join(" AND ")}
				ORDER BY created_at DESC, id DESC LIMIT $${parameters.length}`,
				parameters,
			);
			return toPage(rows, request.limit, (document) => ({ timestamp: document.createdAt, id: document.id }));
		},

		deleteDocument(id) {
			return transaction(async (client) => {
				const document = await queryOne<DocumentRecord>(
					client,
					`SELECT ${documentColumns} FROM knowledge_documents WHERE id = $1 FOR UPDATE`,
					[id],
				);
				if (document === undefined) return false;
				await removeDocumentRows(client, document);
				return true;
			});
		},

		search(request) {
			return search.search(request);
		},

		async vectorSpaces() {
			return (await listVectorSpaces(pool)).map(({ space, vectorCount }) => ({
				embedderId: space.embedderId,
				chunkCount: vectorCount,
			}));
		},

		async termStatistics(words) {
			const statistics = await corpusStatistics(pool);
			// Stemmed like the index (the same analysis as FTS5's porter tokenizer on SQLite).
			const stems = words.map((word) => lexemeOf(porterStem(word)));
			return { chunkCount: statistics.rowCount, documentFrequencies: await documentFrequencies(pool, stems) };
		},

		async documentsInOtherSpaces(embedderId, limit) {
			const { rows } = await pool.query<DocumentRecord>(
				`SELECT ${documentColumns} FROM knowledge_documents WHERE embedder_id <> $1 ORDER BY created_at, id LIMIT $2`,
				[embedderId, limit],
			);
			return rows;
		},

		async documentChunks(documentId): Promise<StoredChunk[]> {
			const { rows } = await pool.query<StoredChunk>(
				`SELECT document_id || ':' || ordinal AS "chunkId", ordinal, body AS text, heading, token_count AS "tokenCount"
				FROM knowledge_chunks WHERE document_id = $1 ORDER BY ordinal`,
				[documentId],
			);
			return rows;
		},

		async replaceDocumentVectors(documentId, embedderId, vectors) {
			const dimensions = vectors[0]?.length;
			const space = dimensions === undefined ? undefined : await ensureSpace(embedderId, dimensions);
			return transaction(async (client) => {
				const document = await queryOne<DocumentRecord>(
					client,
					`SELECT ${documentColumns} FROM knowledge_documents WHERE id = $1 FOR UPDATE`,
					[documentId],
				);
				if (document === undefined) return false;
				const chunkKeys = await chunkKeysInOrder(client, documentId);
				if (chunkKeys.length !== vectors.length) {
					throw new Error(`document ${documentId} has ${chunkKeys.length} chunks, got ${vectors.length} vectors`);
				}
				const oldSpace = await findVectorSpace(client, document.embedderId);
				if (oldSpace !== undefined) await removeVectors(client, oldSpace, chunkKeys);
				if (space !== undefined) {
					const scope = await queryOne<{ inGraph: boolean }>(
						client,
						`SELECT in_graph AS "inGraph" FROM knowledge_scopes WHERE scope = $1`,
						[document.scope],
					);
					await insertVectors(
						client,
						space,
						chunkKeys.map((chunkKey, index) => ({
							chunkKey,
							scope: document.scope,
							collectionId: document.collectionId,
							vector: vectors[index]!,
						})),
						scope?.inGraph ?? false,
					);
				}
				await client.query("UPDATE knowledge_documents SET embedder_id = $1 WHERE id = $2", [embedderId, documentId]);
				return true;
			});
		},

		dropVectorSpace(embedderId) {
			return transaction(async (client) => {
				const space = await findVectorSpace(client, embedderId);
				if (space === undefined) return false;
				const inUse = await queryOne(client, "SELECT 1 FROM knowledge_documents WHERE embedder_id = $1 LIMIT 1", [
					embedderId,
				]);
				if (inUse !== undefined) throw new Error(`vector space ${embedderId} is still used by documents`);
				await dropVectorSpace(client, space);
				return true;
			});
		},
	};
}

async function chunkKeysInOrder(database: Queryable, documentId: string): Promise<number[]> {
	const { rows } = await database.query<{ chunkKey: number }>(
		`SELECT chunk_key AS "chunkKey" FROM knowledge_chunks WHERE document_id = $1 ORDER BY ordinal`,
		[documentId],
	);
	return rows.map((row) => row.chunkKey);
}
