import pgvector from "pgvector";
import type { Queryable } from "./postgres-repository-support.js";

/**
 * Vector spaces: one pgvector table per embedder id, listed in knowledge_vector_spaces, so
 * vectors of different embedders are never compared. Each table has a (scope, collection) index
 * and a *partial* HNSW index (cosine) over the rows of large scopes only.
 *
 * Recall under a scope filter. An HNSW walk with `WHERE scope = …` filters *after* the walk: when
 * the scope is a small part of the table, most of the ef_search candidates belong to others and
 * the user gets few or none of their own nearest chunks (measured in
 * ../shared/RETRIEVAL-NOTES.md: 4% recall; test/postgres/postgres-vector-recall.test.ts: 2%). So:
 * - a scope's vectors are searched exactly — through the scope index, sorted by distance — until
 *   the scope holds more than `graphThreshold` chunks (knowledge_scopes.in_graph): full recall,
 *   and fast for a user's own chunks. Their rows stay out of the HNSW index, whose upkeep is the
 *   costliest part of an insert (~3.5 ms per 1,024-dimension vector here);
 * - a scope past the threshold (a big shared collection) joins the graph for good (its rows get
 *   `in_graph`), and is searched through HNSW with pgvector 0.8's iterative scan
 *   (`hnsw.iterative_scan = relaxed_order`), which keeps walking until enough rows pass the filter;
 *   the rows are then re-sorted by exact distance.
 */

export interface VectorSpace {
	spaceNumber: number;
	embedderId: string;
	dimensions: number;
	tableName: string;
}

export interface NearestChunk {
	chunkKey: number;
	/** Cosine similarity. */
	similarity: number;
}

/** pgvector's HNSW index takes `vector` columns of up to 2,000 dimensions; larger spaces are scanned exactly. */
const maximumIndexedDimensions = 2000;
/** pgvector's ceiling for hnsw.ef_search. */
const maximumEfSearch = 1000;

const toSpace = (spaceNumber: number, embedderId: string, dimensions: number): VectorSpace => ({
	spaceNumber,
	embedderId,
	dimensions,
	tableName: `knowledge_vectors_${spaceNumber}`,
});

export async function findVectorSpace(database: Queryable, embedderId: string): Promise<VectorSpace | undefined> {
	const { rows } = await database.query<{ spaceNumber: number; dimensions: number }>(
		`SELECT space_number AS "spaceNumber", dimensions FROM knowledge_vector_spaces WHERE embedder_id = $1`,
		[embedderId],
	);
	const row = rows[0];
	return row === undefined ? undefined : toSpace(row.spaceNumber, embedderId, row.dimensions);
}

/** Finds or creates the space; call inside a transaction (it may create its table). */
export async function ensureVectorSpace(
	database: Queryable,
	embedderId: string,
	dimensions: number,
	now: number,
): Promise<VectorSpace> {
	// ON CONFLICT DO NOTHING waits for a concurrent transaction creating the same space, then
	// yields to it; the SELECT below then sees its committed row.
	const { rows } = await database.query<{ spaceNumber: number }>(
		`INSERT INTO knowledge_vector_spaces (embedder_id, dimensions, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (embedder_id) DO NOTHING RETURNING space_number AS "spaceNumber"`,
		[embedderId, dimensions, now],
	);
	const created = rows[0];
	if (created !== undefined) {
		const space = toSpace(created.spaceNumber, embedderId, dimensions);
		await database.query(`CREATE TABLE ${space.tableName} (
			chunk_key bigint PRIMARY KEY REFERENCES knowledge_chunks (chunk_key) ON DELETE CASCADE,
			scope text COLLATE "C" NOT NULL,
			collection_id text COLLATE "C" NOT NULL,
			in_graph boolean NOT NULL,
			embedding vector(${dimensions}) NOT NULL
		)`);
		await database.query(`CREATE INDEX ${space.tableName}_scope ON ${space.tableName} (scope, collection_id)`);
		if (dimensions <= maximumIndexedDimensions) {
			await database.query(
				`CREATE INDEX ${space.tableName}_embedding ON ${space.tableName} USING hnsw (embedding vector_cosine_ops)
				WHERE in_graph`,
			);
		}
		return space;
	}
	const existing = await findVectorSpace(database, embedderId);
	if (existing === undefined) throw new Error(`vector space ${embedderId} vanished while being created`);
	if (existing.dimensions !== dimensions) {
		throw new Error(`vector space ${embedderId} holds ${existing.dimensions}-dimensional vectors, not ${dimensions}`);
	}
	return existing;
}

export async function insertVectors(
	database: Queryable,
	space: VectorSpace,
	rows: ReadonlyArray<{ chunkKey: number; scope: string; collectionId: string; vector: Float32Array }>,
	inGraph: boolean,
): Promise<void> {
	if (rows.length === 0) return;
	for (const row of rows) {
		if (row.vector.length !== space.dimensions) {
			throw new Error(
				`expected a ${space.dimensions}-dimensional vector for ${space.embedderId}, got ${row.vector.length}`,
			);
		}
	}
	await database.query(
		`INSERT INTO ${space.tableName} (chunk_key, scope, collection_id, in_graph, embedding)
		SELECT chunk_key, scope, collection_id, $5, embedding
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::vector[]) AS row (chunk_key, scope, collection_id, embedding)`,
		[
			rows.map((row) => row.chunkKey),
			rows.map((row) => row.scope),
			rows.map((row) => row.collectionId),
			rows.map((row) => pgvector.toSql(Array.from(row.vector))),
			inGraph,
		],
	);
}

/** Puts every vector of a scope that has just grown large into the HNSW graph, in every space. */
export async function moveScopeIntoGraph(database: Queryable, scope: string): Promise<void> {
	const { rows } = await database.query<{ spaceNumber: number; embedderId: string; dimensions: number }>(
		`SELECT space_number AS "spaceNumber", embedder_id AS "embedderId", dimensions FROM knowledge_vector_spaces`,
	);
	for (const row of rows) {
		const space = toSpace(row.spaceNumber, row.embedderId, row.dimensions);
		await database.query(`UPDATE ${space.tableName} SET in_graph = true WHERE scope = $1 AND NOT in_graph`, [scope]);
	}
}

export async function removeVectors(database: Queryable, space: VectorSpace, chunkKeys: readonly number[]) {
	await database.query(`DELETE FROM ${space.tableName} WHERE chunk_key = ANY($1::bigint[])`, [chunkKeys]);
}

export interface NearestRequest {
	space: VectorSpace;
	vector: Float32Array;
	/** Each scope, and whether its vectors are in the HNSW graph (from knowledge_scopes). */
	scopes: ReadonlyArray<{ scope: string; inGraph: boolean }>;
	collectionIds: readonly string[] | undefined;
	k: number;
}

/**
 * The scope (and collection) filter. `indexed` writes it as expressions the scope index cannot
 * serve, so the planner walks the HNSW index (with iterative scans) instead of reading a large
 * scope's rows through the scope index and sorting them all; `in_graph` matches the partial
 * index's predicate, which the planner needs to see before it uses that index.
 */
function filterSql(collectionIds: readonly string[] | undefined, indexed = false): string {
	const column = (name: string) => (indexed ? `(${name} || '')` : name);
	const graph = indexed ? "in_graph AND " : "";
	return collectionIds === undefined
		? `${graph}${column("scope")} = ANY($2)`
		: `${graph}${column("scope")} = ANY($2) AND ${column("collection_id")} = ANY($3)`;
}

export async function nearestChunks(
	database: Queryable,
	transaction: <T>(work: (client: Queryable) => Promise<T>) => Promise<T>,
	request: NearestRequest,
): Promise<NearestChunk[]> {
	const { space, vector, collectionIds, k } = request;
	if (request.scopes.length === 0 || k <= 0 || (collectionIds !== undefined && collectionIds.length === 0)) return [];
	if (vector.length !== space.dimensions) {
		throw new Error(`expected a ${space.dimensions}-dimensional query vector for ${space.embedderId}`);
	}
	const indexed = space.dimensions <= maximumIndexedDimensions;
	const exactScopes = request.scopes.filter((entry) => !indexed || !entry.inGraph).map((entry) => entry.scope);
	const indexedScopes = request.scopes.filter((entry) => indexed && entry.inGraph).map((entry) => entry.scope);
	const queryVector = pgvector.toSql(Array.from(vector));
	const parameters = (scopes: string[]) =>
		collectionIds === undefined ? [queryVector, scopes, k] : [queryVector, scopes, collectionIds, k];
	const limitParameter = collectionIds === undefined ? "$3" : "$4";
	const rows: Array<{ chunkKey: number; distance: number }> = [];
	if (exactScopes.length > 0) {
		// `+ 0` makes the sort key an expression the HNSW index cannot serve: the planner reads the
		// scopes' rows through the scope index and sorts them by exact distance.
		const result = await database.query<{ chunkKey: number; distance: number }>(
			`SELECT chunk_key AS "chunkKey", embedding <=> $1 AS distance FROM ${space.tableName}
			WHERE ${filterSql(collectionIds)}
			ORDER BY (embedding <=> $1) + 0, chunk_key LIMIT ${limitParameter}`,
			parameters(exactScopes),
		);
		rows.push(...result.rows);
	}
	if (indexedScopes.length > 0) {
		const result = await transaction(async (client) => {
			await client.query("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)");
			// These scopes are large by our own count; the planner's estimate may be stale or blind to
			// the expression filter, and a sequential scan of a big table is what the index is for.
			await client.query("SELECT set_config('enable_seqscan', 'off', true)");
			await client.query("SELECT set_config('hnsw.ef_search', $1, true)", [
				String(Math.min(maximumEfSearch, Math.max(40, k))),
			]);
			// relaxed_order may return rows slightly out of order: re-sorted by exact distance outside.
			return client.query<{ chunkKey: number; distance: number }>(
				`WITH nearest AS MATERIALIZED (
					SELECT chunk_key AS "chunkKey", embedding <=> $1 AS distance FROM ${space.tableName}
					WHERE ${filterSql(collectionIds, true)}
					ORDER BY embedding <=> $1 LIMIT ${limitParameter}
				) SELECT * FROM nearest ORDER BY distance, "chunkKey"`,
				parameters(indexedScopes),
			);
		});
		rows.push(...result.rows);
	}
	rows.sort((left, right) => left.distance - right.distance || left.chunkKey - right.chunkKey);
	return rows
		.slice(0, k)
		.filter((row) => Number.isFinite(row.distance))
		.map((row) => ({ chunkKey: row.chunkKey, similarity: 1 - row.distance }));
}

export async function listVectorSpaces(
	database: Queryable,
): Promise<Array<{ space: VectorSpace; vectorCount: number }>> {
	const { rows } = await database.query<{ spaceNumber: number; embedderId: string; dimensions: number }>(
		`SELECT space_number AS "spaceNumber", embedder_id AS "embedderId", dimensions FROM knowledge_vector_spaces
		ORDER BY space_number`,
	);
	const spaces = [];
	for (const row of rows) {
		const space = toSpace(row.spaceNumber, row.embedderId, row.dimensions);
		const count = await database.query<{ count: number }>(`SELECT count(*) AS count FROM ${space.tableName}`);
		spaces.push({ space, vectorCount: count.rows[0]?.count ?? 0 });
	}
	return spaces;
}

export async function dropVectorSpace(database: Queryable, space: VectorSpace): Promise<void> {
	await database.query(`DROP TABLE IF EXISTS ${space.tableName}`);
	await database.query("DELETE FROM knowledge_vector_spaces WHERE space_number = $1", [space.spaceNumber]);
}
