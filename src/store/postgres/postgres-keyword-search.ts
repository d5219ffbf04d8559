import { anyOfQuery, inverseDocumentFrequency, singleTermQuery } from "./postgres-keyword-text.js";
import type { Queryable } from "./postgres-repository-support.js";

/**
 * Keyword ranking in PostgreSQL with FTS5's bm25() formula (k1 1.2, b 0.75, FTS5's IDF floor),
 * so the same corpus ranks alike on both backends. The GIN index finds the rows that match any
 * query term; the score is computed from each row's stored term frequencies (title hits counted
 * `titleWeight` times), its length, and corpus statistics counted over every scope, as FTS5
 * counts them over its whole table. ts_rank was not used: it is not BM25 (BENCHMARKS.md).
 */

const k1 = 1.2;
const b = 0.75;

export interface CorpusStatistics {
	rowCount: number;
	averageLength: number;
}

export async function corpusStatistics(database: Queryable): Promise<CorpusStatistics> {
	const { rows } = await database.query<{ rowCount: number; tokenCount: number }>(
		`SELECT coalesce(sum(chunk_count), 0) AS "rowCount", coalesce(sum(keyword_length), 0) AS "tokenCount"
		FROM knowledge_scopes`,
	);
	const { rowCount = 0, tokenCount = 0 } = rows[0] ?? {};
	return { rowCount, averageLength: rowCount > 0 ? tokenCount / rowCount : 1 };
}

/** How many chunks (of every scope) contain each stem, in order. */
export async function documentFrequencies(database: Queryable, stems: readonly string[]): Promise<number[]> {
	if (stems.length === 0) return [];
	const { rows } = await database.query<{ frequency: number }>(
		`SELECT (SELECT count(*) FROM knowledge_chunks WHERE keywords @@ term.query::tsquery) AS frequency
		FROM unnest($1::text[]) WITH ORDINALITY AS term (query, position) ORDER BY term.position`,
		[stems.map(singleTermQuery)],
	);
	return rows.map((row) => row.frequency);
}

export interface KeywordRow {
	chunkKey: number;
	score: number;
	body: string;
}

export async function rankByKeywords(
	database: Queryable,
	request: {
		stems: readonly string[];
		scopes: readonly string[];
		collectionIds: readonly string[] | undefined;
		depth: number;
	},
): Promise<KeywordRow[]> {
	const { stems, scopes, collectionIds, depth } = request;
	if (stems.length === 0 || scopes.length === 0 || (collectionIds !== undefined && collectionIds.length === 0)) {
		return [];
	}
	const statistics = await corpusStatistics(database);
	const frequencies = await documentFrequencies(database, stems);
	const weights = frequencies.map((frequency) => inverseDocumentFrequency(statistics.rowCount, frequency));
	const collectionFilter = collectionIds === undefined ? "" : "AND collection_id = ANY($7)";
	const parameters: unknown[] = [stems, weights, scopes, anyOfQuery(stems), statistics.averageLength, depth];
	if (collectionIds !== undefined) parameters.push(collectionIds);
	// One query term per element of $1, repeats kept (FTS5 scores each phrase of the query).
	const { rows } = await database.query<KeywordRow>(
		`SELECT chunk.chunk_key AS "chunkKey", scored.score, chunk.body
		FROM knowledge_chunks AS chunk
		CROSS JOIN LATERAL (
			SELECT sum(term.weight * (lookup.frequency * ${k1 + 1}) /
				(lookup.frequency + ${k1} * (${1 - b} + ${b} * chunk.keyword_length / $5::float8))) AS score
			FROM unnest($1::text[], $2::float8[]) AS term (lexeme, weight)
			CROSS JOIN LATERAL (SELECT (chunk.term_frequencies ->> term.lexeme)::float8 AS frequency) AS lookup
			WHERE lookup.frequency IS NOT NULL
		) AS scored
		WHERE chunk.scope = ANY($3) ${collectionFilter} AND chunk.keywords @@ $4::tsquery
		ORDER BY scored.score DESC, chunk.chunk_key
		LIMIT $6`,
		parameters,
	);
	return rows;
}
