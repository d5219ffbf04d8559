import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Knowledge schema: collections, documents, chunks with their keyword index, per-scope counters
 * and the registry of vector spaces. The vector tables themselves (pgvector, one per embedder id,
 * with an HNSW index) are made when a space gets its first vector (postgres-knowledge-vectors.ts),
 * because their dimension is the embedder's.
 *
 * Keywords: `keywords` is a tsvector of the terms the SQLite side's FTS5 `porter unicode61`
 * tokenizer would index (folded, Porter-stemmed words, analysed in JavaScript), matched through a
 * GIN index; `term_frequencies` holds each term's count (title words counted 3 times, as FTS5's
 * column weights count them), so the same BM25 as FTS5's bm25() (postgres-keyword-search.ts) is a
 * lookup per query term rather than a walk over the whole tsvector, and both backends rank alike. PostgreSQL's own 'english' and 'simple' configurations ranked with
 * ts_rank scored 0.28–0.33 nDCG@10 on Cranfield against 0.372 (BENCHMARKS.md). A GIN index answers the `@@` match.
 * `keyword_length` is the row's token count as FTS5 counts it (title, body and the two filter
 * tokens), which BM25's length normalisation needs.
 */
export const knowledgeMigration: Migration = {
	async up(database: Kysely<unknown>) {
		// Usually already there (an administrator or CI creates it); needs a superuser otherwise.
		// Always in public: created inside a store's own schema, it would be invisible to stores in
		// other schemas, and dropping that schema would drop it with every vector column using it.
		await sql`CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public`.execute(database);

		await sql`CREATE TABLE knowledge_collections (
			id text COLLATE "C" PRIMARY KEY,
			name text NOT NULL,
			owner_user_id text COLLATE "C",
			shared boolean NOT NULL,
			description text,
			created_at bigint NOT NULL
		)`.execute(database);
		// One name per owner, and one per name among shared collections (NULLs would never collide).
		await sql`CREATE UNIQUE INDEX knowledge_collections_owner_name_unique
			ON knowledge_collections ((coalesce(owner_user_id, '')), name)`.execute(database);

		await sql`CREATE TABLE knowledge_documents (
			id text COLLATE "C" PRIMARY KEY,
			collection_id text COLLATE "C" NOT NULL REFERENCES knowledge_collections (id),
			owner_user_id text COLLATE "C" NOT NULL,
			scope text COLLATE "C" NOT NULL,
			title text NOT NULL,
			source_name text,
			media_type text NOT NULL,
			metadata jsonb NOT NULL,
			content_sha256 text NOT NULL,
			character_count integer NOT NULL,
			chunk_count integer NOT NULL,
			embedder_id text COLLATE "C" NOT NULL,
			created_at bigint NOT NULL
		)`.execute(database);
		await sql`CREATE INDEX knowledge_documents_scope_created
			ON knowledge_documents (scope, created_at DESC, id DESC)`.execute(database);
		await sql`CREATE INDEX knowledge_documents_collection_created
			ON knowledge_documents (collection_id, created_at DESC, id DESC)`.execute(database);
		await sql`CREATE INDEX knowledge_documents_embedder
			ON knowledge_documents (embedder_id, created_at, id)`.execute(database);

		await sql`CREATE TABLE knowledge_chunks (
			chunk_key bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			document_id text COLLATE "C" NOT NULL REFERENCES knowledge_documents (id) ON DELETE CASCADE,
			scope text COLLATE "C" NOT NULL,
			collection_id text COLLATE "C" NOT NULL,
			ordinal integer NOT NULL,
			heading text,
			token_count integer NOT NULL,
			title text NOT NULL,
			body text NOT NULL,
			keyword_length integer NOT NULL,
			keywords tsvector NOT NULL,
			term_frequencies jsonb NOT NULL,
			UNIQUE (document_id, ordinal)
		)`.execute(database);
		await sql`CREATE INDEX knowledge_chunks_keywords ON knowledge_chunks USING gin (keywords)`.execute(database);
		await sql`CREATE INDEX knowledge_chunks_scope ON knowledge_chunks (scope, collection_id)`.execute(database);

		// Per scope: chunks and keyword tokens, kept exact by every add and delete (which scopes are
		// empty; BM25's corpus size), and whether the scope's vectors are in the HNSW graph — set for
		// good once the scope has grown large (postgres-knowledge-vectors.ts).
		await sql`CREATE TABLE knowledge_scopes (
			scope text COLLATE "C" PRIMARY KEY,
			chunk_count bigint NOT NULL,
			keyword_length bigint NOT NULL,
			in_graph boolean NOT NULL DEFAULT false
		)`.execute(database);

		// How many chunks (of every scope) hold each term: BM25's document frequencies, kept exact by
		// every add and delete. Counting them through the GIN index on each search read every
		// matching row's heap tuple (~0.3 s for a common-word query at 10k chunks, measured).
		await sql`CREATE TABLE knowledge_terms (
			lexeme text COLLATE "C" PRIMARY KEY,
			chunk_count bigint NOT NULL
		)`.execute(database);

		await sql`CREATE TABLE knowledge_vector_spaces (
			space_number integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			embedder_id text COLLATE "C" NOT NULL UNIQUE,
			dimensions integer NOT NULL,
			created_at bigint NOT NULL
		)`.execute(database);
	},
};
