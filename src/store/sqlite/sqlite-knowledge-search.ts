import type { Database, Statement } from "better-sqlite3";
import { leadingExcerpt } from "../knowledge-excerpt.js";
import { defaultKeywordWeight, fuseWeighted, hybridDepth, type ScoredCandidate } from "../knowledge-fusion.js";
import type { ChunkHit, ChunkSearchRequest } from "../knowledge-port.js";
import { buildKeywordMatch } from "./sqlite-fts-query.js";
import { chunkKeysPerScope } from "./sqlite-knowledge-keys.js";
import type { VectorSpaces } from "./sqlite-knowledge-vectors.js";

/**
 * Keyword, vector and hybrid search over chunks in SQLite.
 *
 * Keyword: FTS5 bm25() with the porter tokenizer; the title column (document title plus heading
 * path) weighs `titleWeight` times the body (Cranfield: +0.01 nDCG@10 for 2–5×), and the scope and
 * collection token columns weigh 0 so the filters never change a score.
 * Hybrid: both lists, each `hybridDepth(k)` deep, fused by weighted min-max (knowledge-fusion.ts).
 * Every hit is re-checked against the requested scopes and collections when it is read back, so
 * even a (96-bit) token collision could not leak a chunk.
 */

export interface KnowledgeSearchSettings {
	/** Share of the keyword list in hybrid fusion, 0..1. */
	keywordWeight?: number | undefined;
}

const titleWeight = 3;
const snippetTokens = 24;

interface HitRow {
	chunkKey: number;
	documentId: string;
	collectionId: string;
	scope: string;
	title: string;
	heading: string | null;
	ordinal: number;
	text: string;
}

interface KeywordRow {
	chunkKey: number;
	score: number;
	snippet: string;
}

export interface KnowledgeSearch {
	search(request: ChunkSearchRequest): ChunkHit[];
}

export function createKnowledgeSearch(
	database: Database,
	vectorSpaces: VectorSpaces,
	settings: KnowledgeSearchSettings = {},
): KnowledgeSearch {
	const keywordWeight = settings.keywordWeight ?? defaultKeywordWeight;
	let statements:
		| {
				keyword: Statement<[string, number, number, number], KeywordRow>;
				scopeNumber: Statement<[string], number>;
				nonEmptyScopes: Statement<[string], string>;
				hits: Statement<[string], HitRow>;
		  }
		| undefined;

	const prepared = () => {
		statements ??= {
			// The rowid range is the scope's block of chunk keys: FTS5 reads only that slice of each
			// doclist. The scope token inside the MATCH checks the same thing a second way.
			keyword: database.prepare(
				`SELECT rowid AS chunkKey, -bm25(knowledge_chunks_fts, 0, 0, ${titleWeight}, 1) AS score,
					snippet(knowledge_chunks_fts, 3, '', '', '…', ${snippetTokens}) AS snippet
				FROM knowledge_chunks_fts WHERE knowledge_chunks_fts MATCH ? AND rowid BETWEEN ? AND ?
				ORDER BY bm25(knowledge_chunks_fts, 0, 0, ${titleWeight}, 1) LIMIT ?`,
			),
			scopeNumber: database
				.prepare<[string], number>("SELECT scope_number FROM knowledge_scopes WHERE scope = ?")
				.pluck(),
			nonEmptyScopes: database
				.prepare<[string], string>(
					"SELECT scope FROM knowledge_scopes WHERE chunk_count > 0 AND scope IN (SELECT value FROM json_each(?))",
				)
				.pluck(),
			hits: database.prepare(
				`SELECT c.chunk_key AS chunkKey, c.document_id AS documentId, d.collection_id AS collectionId,
					d.scope AS scope, d.title AS title, c.heading AS heading, c.ordinal AS ordinal, f.body AS text
				FROM json_each(?) AS wanted
				JOIN knowledge_chunks AS c ON c.chunk_key = wanted.value
				JOIN knowledge_documents AS d ON d.id = c.document_id
				JOIN knowledge_chunks_fts AS f ON f.rowid = c.chunk_key`,
			),
		};
		return statements;
	};

	/** One query per scope, over that scope's key range; bm25 scores compare across them (same terms, same IDF). */
	function keywordCandidates(request: ChunkSearchRequest, depth: number): Array<ScoredCandidate<number> & KeywordRow> {
		const rows: KeywordRow[] = [];
		for (const scope of new Set(request.scopes)) {
			const scopeNumber = prepared().scopeNumber.get(scope);
			if (scopeNumber === undefined) continue;
			const match = buildKeywordMatch(request.query, [scope], request.collectionIds);
			if (match.expression === undefined) return [];
			const first = scopeNumber * chunkKeysPerScope;
			rows.push(...prepared().keyword.all(match.expression, first, first + chunkKeysPerScope - 1, depth));
		}
		rows.sort((left, right) => right.score - left.score || left.chunkKey - right.chunkKey);
		return rows.slice(0, depth).map((row) => ({ ...row, key: row.chunkKey }));
	}

	function vectorCandidates(request: ChunkSearchRequest, depth: number): ScoredCandidate<number>[] {
		if (request.queryVector === undefined || request.embedderId === undefined) {
			throw new Error(`${request.mode} search needs queryVector and embedderId`);
		}
		const space = vectorSpaces.find(request.embedderId);
		if (space === undefined) return [];
		const floor = request.minimumSimilarity ?? Number.NEGATIVE_INFINITY;
		return vectorSpaces
			.nearest(space, request.queryVector, request.scopes, request.collectionIds, depth)
			.filter((hit) => hit.similarity >= floor)
			.map((hit) => ({ key: hit.chunkKey, score: hit.similarity }));
	}

	/** Reads the hits back in rank order, dropping any outside the request's scopes or collections. */
	function toHits(
		request: ChunkSearchRequest,
		ranked: ReadonlyArray<{ key: number; score: number }>,
		snippets: ReadonlyMap<number, string>,
	): ChunkHit[] {
		if (ranked.length === 0) return [];
		const rows = new Map<number, HitRow>();
		for (const row of prepared().hits.all(JSON.stringify(ranked.map((candidate) => candidate.key)))) {
			rows.set(row.chunkKey, row);
		}
		const scopes = new Set(request.scopes);
		const collections = request.collectionIds === undefined ? undefined : new Set(request.collectionIds);
		const hits: ChunkHit[] = [];
		for (const candidate of ranked) {
			const row = rows.get(candidate.key);
			if (row === undefined || !scopes.has(row.scope)) continue;
			if (collections !== undefined && !collections.has(row.collectionId)) continue;
			hits.push({
				chunkId: `${row.documentId}:${row.ordinal}`,
				documentId: row.documentId,
				collectionId: row.collectionId,
				scope: row.scope,
				title: row.title,
				heading: row.heading,
				ordinal: row.ordinal,
				text: row.text,
				score: candidate.score,
				snippet: snippets.get(candidate.key) ?? leadingExcerpt(row.text),
			});
		}
		return hits;
	}

	return {
		search(searchRequest) {
			const k = Math.floor(searchRequest.k);
			if (!(k > 0) || searchRequest.scopes.length === 0) return [];
			// Most users have no documents of their own: their empty scope costs a keyword and a vector
			// query per search otherwise. One indexed lookup tells which scopes hold anything.
			const scopes = prepared().nonEmptyScopes.all(JSON.stringify(searchRequest.scopes));
			if (scopes.length === 0) return [];
			const request = scopes.length === searchRequest.scopes.length ? searchRequest : { ...searchRequest, scopes };
			if (request.mode === "keyword") {
				const keyword = keywordCandidates(request, k);
				return toHits(request, keyword, snippetsOf(keyword));
			}
			if (request.mode === "vector") {
				return toHits(request, vectorCandidates(request, k), new Map());
			}
			const depth = hybridDepth(k);
			const keyword = keywordCandidates(request, depth);
			const vector = vectorCandidates(request, depth);
			const fused = fuseWeighted(keyword, vector, request.keywordWeight ?? keywordWeight).slice(0, k);
			return toHits(request, fused, snippetsOf(keyword));
		},
	};
}

function snippetsOf(rows: ReadonlyArray<KeywordRow>): Map<number, string> {
	return new Map(rows.map((row) => [row.chunkKey, row.snippet]));
}
