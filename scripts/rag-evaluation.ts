import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Principal } from "../src/auth/principal.js";
import { createDocumentService, maximumSearchResults } from "../src/rag/document-service.js";
import { createLocalEmbedder, defaultLocalEmbedderDimensions } from "../src/rag/local-embedder.js";
import { defaultKeywordWeight } from "../src/store/knowledge-fusion.js";
import type { SearchMode } from "../src/store/knowledge-port.js";
import { isPostgresUrl } from "../src/store/postgres/postgres-config.js";
import { createPostgresPool, createPostgresStore } from "../src/store/postgres/postgres-store.js";
import { createSqliteStore } from "../src/store/sqlite/sqlite-store.js";
import type { Store } from "../src/store/store-port.js";
import {
	type Judgements,
	meanMetrics,
	normalizedDiscountedCumulativeGain,
	recall,
	reciprocalRank,
} from "./retrieval-metrics.js";

/**
 * Retrieval quality on a BEIR-layout dataset (corpus.jsonl, queries.jsonl, qrels/test.tsv),
 * measured through the product's own path: every corpus document is ingested with
 * DocumentService.ingest (chunking, local embedder, SQLite FTS5 + sqlite-vec) into a fresh
 * temporary store — or, with `databaseUrl` postgres://…, into a temporary schema of that
 * PostgreSQL database (tsvector + pgvector), dropped afterwards — and every judged query is searched with DocumentService.search in each mode.
 * Chunk hits become document rankings by first occurrence.
 *
 * nDCG@10 and MRR@10 come from a search for 20 chunks, whose hybrid candidate depth is the one
 * chat retrieval uses (fusion normalises scores over the candidate lists, so depth matters);
 * Recall@k from a search for 2k chunks.
 */

export interface EvaluationOptions {
	datasetDirectory: string;
	/** Recall cutoff; default 100. */
	k?: number;
	dimensions?: number;
	keywordWeight?: number;
	chunkTokens?: number;
	chunkOverlapTokens?: number;
	modes?: readonly SearchMode[];
	/** A postgres:// URL to evaluate the PostgreSQL store; otherwise a temporary SQLite file. */
	databaseUrl?: string | undefined;
}

export interface ModeResult {
	ndcgAt10: number;
	recallAtK: number;
	mrrAt10: number;
	/** Per judged query, in query order (for paired comparisons). */
	perQueryNdcgAt10: number[];
}

export interface EvaluationResult {
	k: number;
	documents: number;
	chunks: number;
	queries: number;
	ingestSeconds: number;
	modes: Partial<Record<SearchMode, ModeResult>>;
}

interface CorpusDocument {
	_id: string;
	title?: string;
	text?: string;
}

function readJsonLines<T>(file: string): T[] {
	return readFileSync(file, "utf8")
		.split("\n")
		.filter((line) => line.trim() !== "")
		.map((line) => JSON.parse(line) as T);
}

export function readJudgements(file: string): Judgements {
	const judgements = new Map<string, Map<string, number>>();
	const lines = readFileSync(file, "utf8").split("\n").slice(1);
	for (const line of lines) {
		const [queryId, documentId, grade] = line.split("\t");
		if (queryId === undefined || documentId === undefined || grade === undefined) continue;
		const grades = judgements.get(queryId) ?? new Map<string, number>();
		grades.set(documentId, Number(grade));
		judgements.set(queryId, grades);
	}
	return judgements;
}

const evaluator: Principal = {
	userId: "evaluation-user",
	email: null,
	username: "evaluation",
	roles: [],
	method: "dev-identity",
	apiKeyId: null,
	mayActForOthers: false,
};

export async function evaluateRetrieval(options: EvaluationOptions): Promise<EvaluationResult> {
	const k = options.k ?? 100;
	const modes = options.modes ?? (["keyword", "vector", "hybrid"] as const);
	const corpus = readJsonLines<CorpusDocument>(path.join(options.datasetDirectory, "corpus.jsonl"));
	const queries = readJsonLines<{ _id: string; text: string }>(path.join(options.datasetDirectory, "queries.jsonl"));
	const judgements = readJudgements(path.join(options.datasetDirectory, "qrels", "test.tsv"));
	const { store, dispose } = await openEvaluationStore(options.databaseUrl);
	try {
		const embedder = createLocalEmbedder({
			dimensions: options.dimensions ?? defaultLocalEmbedderDimensions,
			termStatistics: store.knowledge,
		});
		const documents = createDocumentService({
			knowledge: store.knowledge,
			embedder,
			chunking: { chunkTokens: options.chunkTokens ?? 300, overlapTokens: options.chunkOverlapTokens ?? 50 },
			keywordWeight: options.keywordWeight ?? defaultKeywordWeight,
		});
		const corpusIdByDocument = new Map<string, string>();
		let chunks = 0;
		const started = performance.now();
		// Concurrent ingests share commits through the write queue, as concurrent uploads would.
		const concurrency = 16;
		for (let start = 0; start < corpus.length; start += concurrency) {
			const batch = corpus.slice(start, start + concurrency);
			await Promise.all(
				batch.map(async (item) => {
					const text = item.text?.trim() ? item.text : (item.title ?? "");
					if (text.trim() === "") return; // Cranfield 471 and 995 are empty: nothing to index.
					const record = await documents.ingest(evaluator, { title: item.title ?? "", text, mediaType: "text/plain" });
					corpusIdByDocument.set(record.id, item._id);
					chunks += record.chunkCount;
				}),
			);
		}
		const ingestSeconds = (performance.now() - started) / 1000;
		const judged = queries.filter((query) => judgements.has(query._id));
		const rank = async (query: string, mode: SearchMode, chunkCount: number, depth: number) => {
			const hits = await documents.search(evaluator, query, { k: Math.min(chunkCount, maximumSearchResults), mode });
			const ranking: string[] = [];
			for (const hit of hits) {
				const corpusId = corpusIdByDocument.get(hit.documentId);
				if (corpusId !== undefined && !ranking.includes(corpusId)) ranking.push(corpusId);
			}
			return ranking.slice(0, depth);
		};
		const results: Partial<Record<SearchMode, ModeResult>> = {};
		for (const mode of modes) {
			const perQuery = [];
			for (const query of judged) {
				const grades = judgements.get(query._id)!;
				const top = await rank(query.text, mode, 20, 10);
				const deep = await rank(query.text, mode, 2 * k, k);
				perQuery.push({
					ndcgAt10: normalizedDiscountedCumulativeGain(top, grades, 10),
					mrrAt10: reciprocalRank(top, grades, 10),
					recallAt100: recall(deep, grades, k),
				});
			}
			const mean = meanMetrics(perQuery);
			results[mode] = {
				ndcgAt10: mean.ndcgAt10,
				recallAtK: mean.recallAt100,
				mrrAt10: mean.mrrAt10,
				perQueryNdcgAt10: perQuery.map((metrics) => metrics.ndcgAt10),
			};
		}
		return { k, documents: corpusIdByDocument.size, chunks, queries: judged.length, ingestSeconds, modes: results };
	} finally {
		await dispose();
	}
}

/**
 * A fresh, empty store for one measurement, and how to get rid of it afterwards: a temporary
 * schema of the PostgreSQL database `databaseUrl` names, else a temporary SQLite file.
 */
export async function openEvaluationStore(
	databaseUrl: string | undefined,
): Promise<{ store: Store; dispose(): Promise<void> }> {
	if (databaseUrl !== undefined && isPostgresUrl(databaseUrl)) {
		const schema = `parley_eval_${process.pid}_${Date.now()}`;
		const store = await createPostgresStore({ url: databaseUrl, schema });
		return {
			store,
			async dispose() {
				await store.close();
				const pool = createPostgresPool({ url: databaseUrl, pool: { size: 1, statementTimeoutMs: 0 } });
				try {
					await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
				} finally {
					await pool.end();
				}
			},
		};
	}
	const directory = mkdtempSync(path.join(tmpdir(), "parley-eval-"));
	const store = await createSqliteStore({ filename: path.join(directory, "evaluation.db") });
	return {
		store,
		async dispose() {
			await store.close();
			rmSync(directory, { recursive: true, force: true });
		},
	};
}

/** Paired bootstrap: the share of resamples in which `better` beats `worse` on mean per-query score. */
export function pairedBootstrapWinRate(better: readonly number[], worse: readonly number[], resamples = 2000): number {
	let seed = 12345;
	const random = () => {
		seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
		return seed / 0x100000000;
	};
	let wins = 0;
	for (let round = 0; round < resamples; round++) {
		let difference = 0;
		for (let index = 0; index < better.length; index++) {
			const pick = Math.floor(random() * better.length);
			difference += better[pick]! - worse[pick]!;
		}
		if (difference > 0) wins++;
	}
	return wins / resamples;
}
