import { inverseDocumentFrequency, keywordSnippet, queryStems } from "../keyword-text.js";
import { leadingExcerpt } from "../knowledge-excerpt.js";
import { defaultKeywordWeight, fuseWeighted, hybridDepth, type ScoredCandidate } from "../knowledge-fusion.js";
import type { ChunkHit, ChunkSearchRequest } from "../knowledge-port.js";
import { bytesToVector, dotProduct, vectorNorm } from "../vector-bytes.js";
import type { ItemOperations } from "./dynamodb-items.js";
import {
	type ChunkItem,
	corpusKey,
	type DocumentItem,
	documentsIndex,
	scopePartition,
	termKey,
} from "./dynamodb-knowledge-keys.js";

/**
 * Exact search on DynamoDB: every chunk of the requested scopes is read from its scope's
 * partition and scored here — BM25 with FTS5's formula and statistics counted over every scope
 * (as on SQLite and PostgreSQL), cosine for vectors, the shared weighted fusion for hybrid. No
 * index, so the cost grows with the chunks a user can see (README, "Retrieval on DynamoDB").
 * Chunks whose document item does not exist (an upload that died half-way, or a delete under
 * way) are skipped.
 */

const k1 = 1.2;
const b = 0.75;

export function createDynamoKnowledgeSearch(items: ItemOperations) {
	async function candidatesOf(request: ChunkSearchRequest): Promise<ChunkItem[]> {
		const collections = request.collectionIds === undefined ? undefined : new Set(request.collectionIds);
		const perScope = await Promise.all(
			[...new Set(request.scopes)].map(async (scope) => {
				const [documents, chunks] = await Promise.all([
					items.query<DocumentItem>({ index: "gsi1", partition: documentsIndex(scope) }),
					items.query<ChunkItem>({ partition: scopePartition(scope), sort: { beginsWith: "CHUNK#" } }),
				]);
				const committed = new Set(documents.map((document) => document.data.id));
				return chunks.filter(
					(chunk) =>
						committed.has(chunk.documentId) && (collections === undefined || collections.has(chunk.collectionId)),
				);
			}),
		);
		return perScope.flat();
	}

	async function keywordRanking(request: ChunkSearchRequest, chunks: ChunkItem[], depth: number) {
		const stems = queryStems(request.query);
		if (stems.length === 0 || chunks.length === 0) return { ranked: [], snippets: new Map<ChunkItem, string>() };
		const [corpus, ...frequencies] = await Promise.all([
			items.get<{ rowCount?: number; tokenCount?: number }>(corpusKey),
			...stems.map(async (stem) => (await items.get<{ chunks?: number }>(termKey(stem)))?.chunks ?? 0),
		]);
		const rowCount = corpus?.rowCount ?? 0;
		const averageLength = rowCount > 0 ? (corpus?.tokenCount ?? 0) / rowCount : 1;
		const weights = (frequencies as number[]).map((frequency) => inverseDocumentFrequency(rowCount, frequency));
		const ranked: ScoredCandidate<ChunkItem>[] = [];
		for (const chunk of chunks) {
			let score = 0;
			let matched = false;
			stems.forEach((stem, position) => {
				const frequency = chunk.frequencies[stem];
				if (frequency === undefined) return;
				matched = true;
				score +=
					(weights[position]! * (frequency * (k1 + 1))) /
					(frequency + k1 * (1 - b + (b * chunk.keywordLength) / averageLength));
			});
			if (matched) ranked.push({ key: chunk, score });
		}
		ranked.sort((left, right) => right.score - left.score || compareChunks(left.key, right.key));
		const kept = ranked.slice(0, depth);
		const snippets = new Map<ChunkItem, string>();
		for (const { key } of kept) {
			const snippet = keywordSnippet(key.text, stems);
			if (snippet !== undefined) snippets.set(key, snippet);
		}
		return { ranked: kept, snippets };
	}

	function vectorRanking(request: ChunkSearchRequest, chunks: ChunkItem[], depth: number) {
		if (request.queryVector === undefined || request.embedderId === undefined) {
			throw new Error(`${request.mode} search needs queryVector and embedderId`);
		}
		const query = request.queryVector;
		const queryNorm = vectorNorm(query);
		const floor = request.minimumSimilarity ?? Number.NEGATIVE_INFINITY;
		const ranked: ScoredCandidate<ChunkItem>[] = [];
		if (queryNorm === 0) return ranked;
		for (const chunk of chunks) {
			if (chunk.vector === undefined || chunk.embedderId !== request.embedderId) continue;
			const vector = bytesToVector(chunk.vector);
			if (vector.length !== query.length) continue;
			const norm = vectorNorm(vector);
			if (norm === 0) continue;
			const similarity = dotProduct(query, vector) / (queryNorm * norm);
			if (similarity >= floor) ranked.push({ key: chunk, score: similarity });
		}
		ranked.sort((left, right) => right.score - left.score || compareChunks(left.key, right.key));
		return ranked.slice(0, depth);
	}

	return {
		async search(request: ChunkSearchRequest): Promise<ChunkHit[]> {
			const k = Math.floor(request.k);
			if (!(k > 0) || request.scopes.length === 0) return [];
			if (request.collectionIds !== undefined && request.collectionIds.length === 0) return [];
			const chunks = await candidatesOf(request);
			if (request.mode === "keyword") {
				const keyword = await keywordRanking(request, chunks, k);
				return keyword.ranked.map((candidate) => toHit(candidate, keyword.snippets));
			}
			if (request.mode === "vector") {
				return vectorRanking(request, chunks, k).map((candidate) => toHit(candidate, new Map()));
			}
			const depth = hybridDepth(k);
			const keyword = await keywordRanking(request, chunks, depth);
			const vector = vectorRanking(request, chunks, depth);
			return fuseWeighted(keyword.ranked, vector, request.keywordWeight ?? defaultKeywordWeight)
				.slice(0, k)
				.map((candidate) => toHit(candidate, keyword.snippets));
		},
	};
}

/** Upload order, as the SQL stores break ties by their chunk keys. */
function compareChunks(left: ChunkItem, right: ChunkItem): number {
	if (left.documentId !== right.documentId) return left.documentId < right.documentId ? -1 : 1;
	return left.ordinal - right.ordinal;
}

function toHit({ key: chunk, score }: { key: ChunkItem; score: number }, snippets: Map<ChunkItem, string>): ChunkHit {
	return {
		chunkId: `${chunk.documentId}:${chunk.ordinal}`,
		documentId: chunk.documentId,
		collectionId: chunk.collectionId,
		scope: chunk.scope,
		title: chunk.title,
		heading: chunk.heading,
		ordinal: chunk.ordinal,
		text: chunk.text,
		score,
		snippet: snippets.get(chunk) ?? leadingExcerpt(chunk.text),
	};
}
