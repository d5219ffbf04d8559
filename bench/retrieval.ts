import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { openEvaluationStore } from "../scripts/rag-evaluation.js";
import type { Principal } from "../src/auth/principal.js";
import { createDocumentService } from "../src/rag/document-service.js";
import type { DocumentService } from "../src/rag/document-service-types.js";
import { createLocalEmbedder } from "../src/rag/local-embedder.js";
import type { SearchMode } from "../src/store/knowledge-port.js";
import { describeMachine } from "./report.js";

/**
 * npm run bench:retrieval -- [--sizes 10000,100000] [--dataset ../shared/data/cranfield] [--queries 300]
 *
 * Ingest throughput (chunks/s through DocumentService.ingest: chunking, local embedder, SQLite
 * FTS5 + sqlite-vec, grouped commits) and search latency p50/p99 per mode, at each size, for
 * (a) chunks spread over 100 users (each search reads its user's scope plus the shared ones) and
 * (b) one shared collection. Texts are Cranfield abstracts recombined: each chunk is a few
 * sentences drawn from random abstracts, so vocabulary and lengths are real but no two chunks
 * are alike. Prints a Markdown table for BENCHMARKS.md. With DATABASE_URL=postgres://… it measures
 * the PostgreSQL store (tsvector + pgvector) in a temporary schema instead of a SQLite file.
 */

const { values } = parseArgs({
	options: {
		sizes: { type: "string", default: "10000,100000" },
		dataset: { type: "string", default: "../shared/data/cranfield" },
		queries: { type: "string", default: "300" },
	},
	strict: true,
});

const sizes = values.sizes.split(",").map((size) => Number(size.trim()));
const queryCount = Number(values.queries);
const chunksPerDocument = 3;
const userCount = 100;
const modes: SearchMode[] = ["keyword", "vector", "hybrid"];

// A deterministic generator, so every run indexes the same texts.
let seed = 2024;
function random(): number {
	seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
	return seed / 0x100000000;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const corpus = readFileSync(path.join(values.dataset, "corpus.jsonl"), "utf8")
	.split("\n")
	.filter((line) => line.trim() !== "")
	.map((line) => JSON.parse(line) as { title: string; text: string });
const sentences = corpus.flatMap((item) =>
	item.text.split(/ \. /).filter((sentence) => sentence.split(" ").length > 6),
);
const titles = corpus.map((item) => item.title).filter((title) => title.trim() !== "");
const queries = readFileSync(path.join(values.dataset, "queries.jsonl"), "utf8")
	.split("\n")
	.filter((line) => line.trim() !== "")
	.map((line) => (JSON.parse(line) as { text: string }).text);

/** About 230 tokens: sentences until ~170 words. */
function chunkText(): string {
	const parts: string[] = [];
	let words = 0;
	while (words < 170) {
		const sentence = pick(sentences);
		parts.push(sentence);
		words += sentence.split(" ").length;
	}
	return `${parts.join(". ")}.`;
}

/** Paragraphs of one chunk each: the chunker (300 tokens) keeps them apart. */
function documentText(): string {
	return Array.from({ length: chunksPerDocument }, chunkText).join("\n\n");
}

function principal(userId: string, admin: boolean): Principal {
	return {
		userId,
		email: null,
		username: userId,
		roles: admin ? ["admin"] : [],
		method: "dev-identity",
		apiKeyId: null,
		mayActForOthers: false,
	};
}

function percentile(sorted: number[], fraction: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

interface Outcome {
	layout: string;
	chunks: number;
	chunksPerSecond: number;
	latency: Record<SearchMode, { p50: number; p99: number }>;
}

async function ingest(documents: DocumentService, owners: Principal[], chunkTarget: number, collection?: string) {
	const documentCount = Math.ceil(chunkTarget / chunksPerDocument);
	const texts = Array.from({ length: documentCount }, () => ({ title: pick(titles), text: documentText() }));
	let chunks = 0;
	const started = performance.now();
	const inFlight = 32;
	for (let start = 0; start < documentCount; start += inFlight) {
		const batch = texts.slice(start, start + inFlight);
		const records = await Promise.all(
			batch.map((item, index) =>
				documents.ingest(owners[(start + index) % owners.length]!, {
					...item,
					collection,
					mediaType: "text/plain",
				}),
			),
		);
		for (const record of records) chunks += record.chunkCount;
	}
	return { chunks, seconds: (performance.now() - started) / 1000 };
}

async function measureSearches(documents: DocumentService, searchers: Principal[]) {
	const latency = {} as Outcome["latency"];
	for (const mode of modes) {
		// Warm-up: first statements and pages.
		for (let index = 0; index < 20; index++) {
			await documents.search(pick(searchers), pick(queries), { k: 4, mode });
		}
		const timings: number[] = [];
		for (let index = 0; index < queryCount; index++) {
			const searcher = pick(searchers);
			const query = pick(queries);
			const started = performance.now();
			await documents.search(searcher, query, { k: 4, mode });
			timings.push(performance.now() - started);
		}
		timings.sort((left, right) => left - right);
		latency[mode] = { p50: percentile(timings, 0.5), p99: percentile(timings, 0.99) };
	}
	return latency;
}

async function runLayout(layout: "users" | "shared", size: number): Promise<Outcome> {
	const { store, dispose } = await openEvaluationStore(process.env.DATABASE_URL);
	try {
		const documents = createDocumentService({
			knowledge: store.knowledge,
			embedder: createLocalEmbedder({ termStatistics: store.knowledge }),
			chunking: { chunkTokens: 300, overlapTokens: 50 },
		});
		const users = Array.from({ length: userCount }, (_, index) => principal(`bench-user-${index}`, false));
		let ingested: { chunks: number; seconds: number };
		if (layout === "users") {
			ingested = await ingest(documents, users, size);
		} else {
			const admin = principal("bench-admin", true);
			await documents.createCollection(admin, { name: "corpus", shared: true });
			ingested = await ingest(documents, [admin], size, "corpus");
		}
		const latency = await measureSearches(documents, users);
		return {
			layout: layout === "users" ? `${userCount} users` : "1 shared collection",
			chunks: ingested.chunks,
			chunksPerSecond: ingested.chunks / ingested.seconds,
			latency,
		};
	} finally {
		await dispose();
	}
}

const outcomes: Outcome[] = [];
for (const size of sizes) {
	for (const layout of ["users", "shared"] as const) {
		const outcome = await runLayout(layout, size);
		outcomes.push(outcome);
		console.error(`${outcome.layout}, ${outcome.chunks} chunks: done`);
	}
}

const backend = process.env.DATABASE_URL?.startsWith("postgres") ? "DATABASE_URL=postgres://… " : "";
const machine = describeMachine(`${backend}npm run bench:retrieval -- --sizes ${values.sizes}`);
const format = (milliseconds: number) => milliseconds.toFixed(milliseconds < 10 ? 2 : 1);
const lines = [
	`Retrieval (${machine.date.slice(0, 10)}, Node ${machine.node}, ${machine.cpu}, ${machine.cores} cores; \`${machine.command}\`)`,
	"",
	"| layout | chunks | ingest chunks/s | keyword p50 / p99 ms | vector p50 / p99 ms | hybrid p50 / p99 ms |",
	"|---|---|---|---|---|---|",
	...outcomes.map(
		(outcome) =>
			`| ${outcome.layout} | ${outcome.chunks.toLocaleString("en")} | ${Math.round(outcome.chunksPerSecond).toLocaleString("en")} | ` +
			modes.map((mode) => `${format(outcome.latency[mode].p50)} / ${format(outcome.latency[mode].p99)}`).join(" | ") +
			" |",
	),
];
process.stdout.write(`${lines.join("\n")}\n`);
