import { parseArgs } from "node:util";
import type { SearchMode } from "../src/store/knowledge-port.js";
import { evaluateRetrieval, pairedBootstrapWinRate } from "./rag-evaluation.js";

/**
 * npm run eval:rag -- --dataset <BEIR folder> [--json] [--k 100]
 *   [--dimensions 1024] [--keyword-weight 0.7] [--chunk-tokens 300] [--overlap-tokens 50]
 *
 * Prints nDCG@10 (graded), Recall@k and MRR@10 for keyword, vector and hybrid search, measured
 * through the real ingestion and search path (scripts/rag-evaluation.ts). With DATABASE_URL set
 * to a postgres:// URL it measures the PostgreSQL store (in a temporary schema); otherwise SQLite. With --json, exactly
 * {"keyword": {"ndcg@10": …, "recall@100": …, "mrr@10": …}, "vector": {…}, "hybrid": {…}}.
 */

const { values } = parseArgs({
	options: {
		dataset: { type: "string" },
		json: { type: "boolean", default: false },
		k: { type: "string", default: "100" },
		dimensions: { type: "string" },
		"keyword-weight": { type: "string" },
		"chunk-tokens": { type: "string" },
		"overlap-tokens": { type: "string" },
	},
	strict: true,
});

function numberOption(name: string, value: string | undefined): number | undefined {
	if (value === undefined) return undefined;
	const parsed = Number(value);
	if (!Number.isFinite(parsed)) {
		console.error(`eval:rag: --${name} must be a number`);
		process.exit(64);
	}
	return parsed;
}

if (values.dataset === undefined) {
	console.error("Usage: npm run eval:rag -- --dataset <BEIR folder> [--json] [--k 100]");
	process.exit(64);
}

const k = numberOption("k", values.k) ?? 100;
const result = await evaluateRetrieval({
	datasetDirectory: values.dataset,
	k,
	dimensions: numberOption("dimensions", values.dimensions),
	keywordWeight: numberOption("keyword-weight", values["keyword-weight"]),
	chunkTokens: numberOption("chunk-tokens", values["chunk-tokens"]),
	chunkOverlapTokens: numberOption("overlap-tokens", values["overlap-tokens"]),
	databaseUrl: process.env.DATABASE_URL,
});

const modes: SearchMode[] = ["keyword", "vector", "hybrid"];
const round = (value: number) => Math.round(value * 10_000) / 10_000;

if (values.json) {
	const output: Record<string, Record<string, number>> = {};
	for (const mode of modes) {
		const metrics = result.modes[mode]!;
		output[mode] = {
			"ndcg@10": round(metrics.ndcgAt10),
			[`recall@${k}`]: round(metrics.recallAtK),
			"mrr@10": round(metrics.mrrAt10),
		};
	}
	process.stdout.write(`${JSON.stringify(output)}\n`);
} else {
	const lines = [
		`${result.documents} documents (${result.chunks} chunks) ingested in ${result.ingestSeconds.toFixed(1)} s; ${result.queries} judged queries`,
		"",
		`| mode | nDCG@10 | R@${k} | MRR@10 |`,
		"|---|---|---|---|",
		...modes.map((mode) => {
			const metrics = result.modes[mode]!;
			return `| ${mode} | ${metrics.ndcgAt10.toFixed(3)} | ${metrics.recallAtK.toFixed(3)} | ${metrics.mrrAt10.toFixed(3)} |`;
		}),
		"",
		`hybrid beats keyword on nDCG@10 in ${(100 * pairedBootstrapWinRate(result.modes.hybrid!.perQueryNdcgAt10, result.modes.keyword!.perQueryNdcgAt10)).toFixed(1)}% of paired bootstrap resamples`,
	];
	process.stdout.write(`${lines.join("\n")}\n`);
}
