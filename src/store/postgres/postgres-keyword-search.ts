import { anyOfQuery, inverseDocumentFrequency } from "../keyword-text.js";
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
		`SELECT coalesce(knowledge_terms.chunk_count, 0) AS frequency
		FROM unnest($1::text[]) WITH ORDINALITY AS term (lexeme, position)
		LEFT JOIN knowledge_terms ON knowledge_terms.lexeme = term.lexeme
		ORDER BY term.position`,
		[stems],
	);
	return rows.map((row) => row.frequency);
}

/**
 * Adds `sign` (1 or −1) × each term's chunk count to the document frequencies. Rows are locked in
 * lexeme order, so concurrent uploads sharing words wait for each other instead of deadlocking.
 */
export async function countTerms(database: Queryable, counts: ReadonlyMap<string, number>, sign: 1 | -1) {
	if (counts.size === 0) return;
	const lexemes = [...counts.keys()].sort();
	if (sign === 1) {
		await database.query(
			`INSERT INTO knowledge_terms (lexeme, chunk_count)
			SELECT * FROM unnest($1::text[], $2::bigint[]) AS term (lexeme, chunk_count) ORDER BY lexeme
			ON CONFLICT (lexeme) DO UPDATE SET chunk_count = knowledge_terms.chunk_count + excluded.chunk_count`,
			[lexemes, lexemes.map((lexeme) => counts.get(lexeme)!)],
		);
		return;
	}
	await database.query("SELECT 1 FROM knowledge_terms WHERE lexeme = ANY($1) ORDER BY lexeme FOR UPDATE", [lexemes]);
	await database.query(
		`UPDATE knowledge_terms SET chunk_count = knowledge_terms.chunk_count - term.chunk_count
		FROM unnest($1::text[], $2::bigint[]) AS term (lexeme, chunk_count) WHERE knowledge_terms.lexeme = term.lexeme`,
		[lexemes, lexemes.map((lexeme) => counts.get(lexeme)!)],
	);
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
