import { keywordSnippet, queryStems } from "../keyword-text.js";
import { leadingExcerpt } from "../knowledge-excerpt.js";
import { defaultKeywordWeight, fuseWeighted, hybridDepth, type ScoredCandidate } from "../knowledge-fusion.js";
import type { ChunkHit, ChunkSearchRequest } from "../knowledge-port.js";
import { rankByKeywords } from "./postgres-keyword-search.js";
import { findVectorSpace, nearestChunks } from "./postgres-knowledge-vectors.js";
import type { PostgresRepositoryDependencies } from "./postgres-repository-support.js";

/**
 * Keyword, vector and hybrid search over chunks in PostgreSQL, with the SQLite store's behaviour:
 * the same keyword ranking (BM25 over the same terms), the same hybrid depth and the same fusion
 * (knowledge-fusion.ts). Every hit is re-checked against the requested scopes and collections
 * when it is read back.
 */

export interface KnowledgeSearchSettings {
	/** Share of the keyword list in hybrid fusion, 0..1. */
	keywordWeight?: number | undefined;
}

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

export function createKnowledgeSearch(
	{ pool, transaction }: PostgresRepositoryDependencies,
	settings: KnowledgeSearchSettings = {},
) {
	const keywordWeight = settings.keywordWeight ?? defaultKeywordWeight;

	async function keywordCandidates(request: ChunkSearchRequest, depth: number) {
		const stems = queryStems(request.query);
		const rows = await rankByKeywords(pool, {
			stems,
			scopes: request.scopes,
			collectionIds: request.collectionIds,
			depth,
		});
		const snippets = new Map<number, string>();
		for (const row of rows) {
			const snippet = keywordSnippet(row.body, stems);
			if (snippet !== undefined) snippets.set(row.chunkKey, snippet);
		}
		return { candidates: rows.map((row) => ({ key: row.chunkKey, score: row.score })), snippets };
	}

	async function vectorCandidates(
		request: ChunkSearchRequest,
		scopes: ReadonlyArray<{ scope: string; inGraph: boolean }>,
		depth: number,
	): Promise<ScoredCandidate<number>[]> {
		if (request.queryVector === undefined || request.embedderId === undefined) {
			throw new Error(`${request.mode} search needs queryVector and embedderId`);
		}
		const space = await findVectorSpace(pool, request.embedderId);
		if (space === undefined) return [];
		const floor = request.minimumSimilarity ?? Number.NEGATIVE_INFINITY;
		const nearest = await nearestChunks(pool, transaction, {
			space,
			vector: request.queryVector,
			scopes,
			collectionIds: request.collectionIds,
			k: depth,
		});
		return nearest
			.filter((hit) => hit.similarity >= floor)
			.map((hit) => ({ key: hit.chunkKey, score: hit.similarity }));
	}

	async function toHits(
		request: ChunkSearchRequest,
		ranked: ReadonlyArray<{ key: number; score: number }>,
		snippets: ReadonlyMap<number, string>,
	): Promise<ChunkHit[]> {
		if (ranked.length === 0) return [];
		const { rows } = await pool.query<HitRow>(
			`SELECT c.chunk_key AS "chunkKey", c.document_id AS "documentId", d.collection_id AS "collectionId",
				d.scope, d.title, c.heading, c.ordinal, c.body AS text
			FROM knowledge_chunks AS c JOIN knowledge_documents AS d ON d.id = c.document_id
			WHERE c.chunk_key = ANY($1::bigint[])`,
			[ranked.map((candidate) => candidate.key)],
		);
		const byKey = new Map(rows.map((row) => [row.chunkKey, row]));
		const scopes = new Set(request.scopes);
		const collections = request.collectionIds === undefined ? undefined : new Set(request.collectionIds);
		const hits: ChunkHit[] = [];
		for (const candidate of ranked) {
			const row = byKey.get(candidate.key);
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
		async search(searchRequest: ChunkSearchRequest): Promise<ChunkHit[]> {
			const k = Math.floor(searchRequest.k);
			if (!(k > 0) || searchRequest.scopes.length === 0) return [];
			// Most users have no documents of their own: one indexed lookup skips their empty scope.
			const { rows: scopes } = await pool.query<{ scope: string; inGraph: boolean }>(
				`SELECT scope, in_graph AS "inGraph" FROM knowledge_scopes WHERE chunk_count > 0 AND scope = ANY($1)`,
				[[...new Set(searchRequest.scopes)]],
			);
			if (scopes.length === 0) return [];
			const request = { ...searchRequest, scopes: scopes.map((row) => row.scope) };
			if (request.mode === "keyword") {
				const keyword = await keywordCandidates(request, k);
				return toHits(request, keyword.candidates, keyword.snippets);
			}
			if (request.mode === "vector") {
				return toHits(request, await vectorCandidates(request, scopes, k), new Map());
			}
			const depth = hybridDepth(k);
			const [keyword, vector] = await Promise.all([
				keywordCandidates(request, depth),
				vectorCandidates(request, scopes, depth),
			]);
			const fused = fuseWeighted(keyword.candidates, vector, request.keywordWeight ?? keywordWeight).slice(0, k);
			return toHits(request, fused, keyword.snippets);
		},
	};
}
