import type { Database, Statement } from "better-sqlite3";
import type { CollectionRecord, DocumentRecord, StoredChunk } from "../knowledge-port.js";
import { preparedOnFirstUse } from "./sqlite-repository-support.js";

/** The knowledge repository's prepared statements (prepared on first use, after migrations). */

export type DocumentRow = Omit<DocumentRecord, "metadata"> & { metadata: string };

export interface ScopeRow {
	scopeNumber: number;
	nextChunk: number;
	chunkCount: number;
}

const collectionColumns = `id, name, owner_user_id AS ownerUserId, shared = 1 AS shared, description,
	created_at AS createdAt`;

const documentColumns = `id, collection_id AS collectionId, owner_user_id AS ownerUserId, scope, title,
	source_name AS sourceName, media_type AS mediaType, metadata, content_sha256 AS contentSha256,
	character_count AS characterCount, chunk_count AS chunkCount, embedder_id AS embedderId, created_at AS createdAt`;

/** One statement per filter combination, so each can seek its index to the cursor. */
function listDocumentsSql(inCollection: boolean, afterCursor: boolean): string {
	return `SELECT ${documentColumns} FROM knowledge_documents
		WHERE scope IN (SELECT value FROM json_each(?))
		${inCollection ? "AND collection_id = ?" : ""}
		${afterCursor ? "AND (created_at, id) < (?, ?)" : ""}
		ORDER BY created_at DESC, id DESC
		LIMIT ?`;
}

// better-sqlite3 returns 0/1 for `shared = 1`; the port wants a boolean.
function collectionStatement<Parameters extends unknown[]>(statement: Statement<Parameters, CollectionRecord>) {
	return {
		get: (...parameters: Parameters): CollectionRecord | undefined => {
			const row = statement.get(...parameters);
			return row === undefined ? undefined : { ...row, shared: Boolean(row.shared) };
		},
		all: (...parameters: Parameters): CollectionRecord[] =>
			statement.all(...parameters).map((row) => ({ ...row, shared: Boolean(row.shared) })),
	};
}

export function createKnowledgeStatements(database: Database) {
	return preparedOnFirstUse(() => {
		const listVariants: Statement<unknown[], DocumentRow>[] = [];
		for (const inCollection of [false, true]) {
			for (const afterCursor of [false, true]) {
				listVariants.push(database.prepare<unknown[], DocumentRow>(listDocumentsSql(inCollection, afterCursor)));
			}
		}
		return {
			insertCollection: database.prepare<[string, string, string | null, number, string | null, number]>(
				`INSERT INTO knowledge_collections (id, name, owner_user_id, shared, description, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`,
			),
			collectionByName: collectionStatement(
				database.prepare<[string, string], CollectionRecord>(
					`SELECT ${collectionColumns} FROM knowledge_collections WHERE coalesce(owner_user_id, '') = ? AND name = ?`,
				),
			),
			collectionById: collectionStatement(
				database.prepare<[string], CollectionRecord>(
					`SELECT ${collectionColumns} FROM knowledge_collections WHERE id = ?`,
				),
			),
			visibleCollections: collectionStatement(
				database.prepare<[string], CollectionRecord>(
					`SELECT ${collectionColumns} FROM knowledge_collections
					WHERE coalesce(owner_user_id, '') = ? OR shared = 1 ORDER BY shared, name, id`,
				),
			),
			insertDocument: database.prepare<
				[string, string, string, string, string, string | null, string, string, string, number, number, string, number]
			>(
				`INSERT INTO knowledge_documents (id, collection_id, owner_user_id, scope, title, source_name, media_type,
					metadata, content_sha256, character_count, chunk_count, embedder_id, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			),
			documentById: database.prepare<[string], DocumentRow>(
				`SELECT ${documentColumns} FROM knowledge_documents WHERE id = ?`,
			),
			listDocuments: (inCollection: boolean, afterCursor: boolean) =>
				listVariants[(inCollection ? 2 : 0) + (afterCursor ? 1 : 0)]!,
			// Chunks go with it through ON DELETE CASCADE; keyword rows and vectors are removed first.
			deleteDocument: database.prepare<[string]>("DELETE FROM knowledge_documents WHERE id = ?"),
			insertChunk: database.prepare<[number, string, number, string | null, number]>(
				"INSERT INTO knowledge_chunks (chunk_key, document_id, ordinal, heading, token_count) VALUES (?, ?, ?, ?, ?)",
			),
			scopeByName: database.prepare<[string], ScopeRow>(
				"SELECT scope_number AS scopeNumber, next_chunk AS nextChunk, chunk_count AS chunkCount FROM knowledge_scopes WHERE scope = ?",
			),
			insertScope: database.prepare<[string]>(
				`INSERT INTO knowledge_scopes (scope, scope_number, next_chunk, chunk_count)
				VALUES (?, (SELECT coalesce(max(scope_number), 0) + 1 FROM knowledge_scopes), 0, 0)`,
			),
			advanceScope: database.prepare<[number, number, string]>(
				"UPDATE knowledge_scopes SET next_chunk = next_chunk + ?, chunk_count = chunk_count + ? WHERE scope = ?",
			),
			insertKeywords: database.prepare<[number, string, string, string, string]>(
				`INSERT INTO knowledge_chunks_fts (rowid, scope_token, collection_token, title, body) VALUES (?, ?, ?, ?, ?)`,
			),
			deleteKeywords: database.prepare<[number]>("DELETE FROM knowledge_chunks_fts WHERE rowid = ?"),
			chunkKeysOfDocument: database
				.prepare<[string], number>("SELECT chunk_key FROM knowledge_chunks WHERE document_id = ? ORDER BY ordinal")
				.pluck(),
			chunksOfDocument: database.prepare<[string], StoredChunk>(
				`SELECT c.document_id || ':' || c.ordinal AS chunkId, c.ordinal, f.body AS text, c.heading,
					c.token_count AS tokenCount
				FROM knowledge_chunks AS c JOIN knowledge_chunks_fts AS f ON f.rowid = c.chunk_key
				WHERE c.document_id = ? ORDER BY c.ordinal`,
			),
			// Kept exact by every add and delete; one row per scope, far cheaper than count(*) over chunks.
			countChunks: database.prepare<[], number>("SELECT coalesce(sum(chunk_count), 0) FROM knowledge_scopes").pluck(),
			documentFrequency: database
				.prepare<[string], number>("SELECT doc FROM knowledge_chunks_vocabulary WHERE term = ?")
				.pluck(),
			documentsInOtherSpaces: database.prepare<[string, number], DocumentRow>(
				`SELECT ${documentColumns} FROM knowledge_documents WHERE embedder_id <> ? ORDER BY created_at, id LIMIT ?`,
			),
			setDocumentEmbedder: database.prepare<[string, string]>(
				"UPDATE knowledge_documents SET embedder_id = ? WHERE id = ?",
			),
			documentUsesEmbedder: database.prepare<[string], number>(
				"SELECT 1 FROM knowledge_documents WHERE embedder_id = ? LIMIT 1",
			),
		};
	});
}
