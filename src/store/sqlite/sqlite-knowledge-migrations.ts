import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Knowledge schema: collections, documents, chunks, the FTS5 keyword index and the registry of
 * vector spaces. The vector tables themselves (sqlite-vec `vec0`, one per embedder id) are made
 * when a space gets its first vector (sqlite-knowledge-vectors.ts), because their dimension is the
 * embedder's.
 *
 * Chunks are keyed by an integer (`chunk_key`) that is also the FTS5 rowid and the vec0 rowid, so
 * one chunk is one row in each index and deleting a document touches each by key. The chunk's
 * text lives once, in the FTS5 table (which needs it for snippet()).
 *
 * Keys are allocated per scope, in a block of 2^26 keys per scope (knowledge_scopes): a user's
 * chunks are contiguous in every FTS5 doclist, so a keyword search reads one rowid range instead
 * of every user's postings of its words (measured: 25 ms → ~1 ms at 100k chunks over 100 users).
 */
export const knowledgeMigration: Migration = {
	async up(database: Kysely<unknown>) {
		await database.schema
			.createTable("knowledge_collections")
			.addColumn("id", "text", (column) => column.primaryKey())
			.addColumn("name", "text", (column) => column.notNull())
			// Null for shared collections.
			.addColumn("owner_user_id", "text")
			.addColumn("shared", "integer", (column) => column.notNull().check(sql`shared in (0, 1)`))
			.addColumn("description", "text")
			.addColumn("created_at", "integer", (column) => column.notNull())
			.modifyEnd(sql`strict, without rowid`)
			.execute();
		// One name per owner, and one per name among shared collections (NULLs would never collide).
		await database.schema
			.createIndex("knowledge_collections_owner_name_unique")
			.on("knowledge_collections")
			.unique()
			.expression(sql`coalesce(owner_user_id, ''), name`)
			.execute();

		await database.schema
			.createTable("knowledge_documents")
			.addColumn("id", "text", (column) => column.primaryKey())
			.addColumn("collection_id", "text", (column) => column.notNull().references("knowledge_collections.id"))
			.addColumn("owner_user_id", "text", (column) => column.notNull())
			.addColumn("scope", "text", (column) => column.notNull())
			.addColumn("title", "text", (column) => column.notNull())
			.addColumn("source_name", "text")
			.addColumn("media_type", "text", (column) => column.notNull())
			.addColumn("metadata", "text", (column) => column.notNull())
			.addColumn("content_sha256", "text", (column) => column.notNull())
			.addColumn("character_count", "integer", (column) => column.notNull())
			.addColumn("chunk_count", "integer", (column) => column.notNull())
			.addColumn("embedder_id", "text", (column) => column.notNull())
			.addColumn("created_at", "integer", (column) => column.notNull())
			.modifyEnd(sql`strict, without rowid`)
			.execute();
		// Lists newest first per scope, and per collection, with (created_at, id) cursor seeks.
		await database.schema
			.createIndex("knowledge_documents_scope_created")
			.on("knowledge_documents")
			.columns(["scope", "created_at desc", "id desc"])
			.execute();
		await database.schema
			.createIndex("knowledge_documents_collection_created")
			.on("knowledge_documents")
			.columns(["collection_id", "created_at desc", "id desc"])
			.execute();
		// Re-indexing walks the documents of one vector space.
		await database.schema
			.createIndex("knowledge_documents_embedder")
			.on("knowledge_documents")
			.columns(["embedder_id", "created_at", "id"])
			.execute();

		await database.schema
			.createTable("knowledge_chunks")
			.addColumn("chunk_key", "integer", (column) => column.primaryKey())
			.addColumn("document_id", "text", (column) =>
				column.notNull().references("knowledge_documents.id").onDelete("cascade"),
			)
			.addColumn("ordinal", "integer", (column) => column.notNull())
			.addColumn("heading", "text")
			.addColumn("token_count", "integer", (column) => column.notNull())
			.modifyEnd(sql`strict`)
			.execute();
		await database.schema
			.createIndex("knowledge_chunks_document_ordinal")
			.on("knowledge_chunks")
			.unique()
			.columns(["document_id", "ordinal"])
			.execute();

		// The scope and collection columns hold one opaque numeric token each; a search matches them
		// inside the MATCH expression, which FTS5 answers from its index (a plain column filter would
		// rank every user's matching chunks first). Porter stemming and title weighting: see
		// sqlite-knowledge-keyword.ts.
		await sql`CREATE VIRTUAL TABLE knowledge_chunks_fts USING fts5(
			scope_token, collection_token, title, body, tokenize = 'porter unicode61')`.execute(database);
		await sql`CREATE VIRTUAL TABLE knowledge_chunks_vocabulary USING fts5vocab(knowledge_chunks_fts, row)`.execute(
			database,
		);

		await database.schema
			.createTable("knowledge_scopes")
			.addColumn("scope", "text", (column) => column.primaryKey())
			.addColumn("scope_number", "integer", (column) => column.notNull().unique())
			.addColumn("next_chunk", "integer", (column) => column.notNull())
			.addColumn("chunk_count", "integer", (column) => column.notNull())
			.modifyEnd(sql`strict, without rowid`)
			.execute();

		await database.schema
			.createTable("knowledge_vector_spaces")
			.addColumn("space_number", "integer", (column) => column.primaryKey())
			.addColumn("embedder_id", "text", (column) => column.notNull().unique())
			.addColumn("dimensions", "integer", (column) => column.notNull())
			.addColumn("created_at", "integer", (column) => column.notNull())
			.modifyEnd(sql`strict`)
			.execute();
	},
};
