import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { keywordQueryTerms } from "../src/text/analyze.js";
import { readJudgements } from "./rag-evaluation.js";
import { normalizedDiscountedCumulativeGain, recall, reciprocalRank } from "./retrieval-metrics.js";

/**
 * DATABASE_URL=postgres://… tsx scripts/compare-postgres-text-search.ts --dataset <BEIR folder>
 *
 * Why the PostgreSQL store does not rank keywords with PostgreSQL's own text search: ranks the
 * dataset's documents with the built-in 'english' and 'simple' configurations and ts_rank /
 * ts_rank_cd (title weighted A, body D; query words OR-ed as the store does) and prints nDCG@10,
 * R@100 and MRR@10 to set beside `npm run eval:rag`'s keyword figures. Works in a temporary schema.
 */

const { values } = parseArgs({ options: { dataset: { type: "string" } }, strict: true });
const databaseUrl = process.env.DATABASE_URL;
if (values.dataset === undefined || databaseUrl === undefined) {
	console.error("Usage: DATABASE_URL=postgres://… tsx scripts/compare-postgres-text-search.ts --dataset <BEIR folder>");
	process.exit(64);
}
const jsonLines = <T>(file: string): T[] =>
	readFileSync(path.join(values.dataset!, file), "utf8")
		.split("\n")
		.filter((line) => line.trim() !== "")
		.map((line) => JSON.parse(line) as T);
const corpus = jsonLines<{ _id: string; title?: string; text?: string }>("corpus.jsonl");
const judgements = readJudgements(path.join(values.dataset, "qrels", "test.tsv"));
const queries = jsonLines<{ _id: string; text: string }>("queries.jsonl").filter((query) => judgements.has(query._id));

const schema = `parley_text_search_${process.pid}`;
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
const configurations = ["english", "simple"] as const;
try {
	await client.query(`CREATE SCHEMA ${schema}`);
	await client.query(`SET search_path = ${schema}`);
	await client.query("CREATE TABLE documents (id text PRIMARY KEY, title text NOT NULL, body text NOT NULL)");
	await client.query("INSERT INTO documents SELECT * FROM unnest($1::text[], $2::text[], $3::text[])", [
		corpus.map((document) => document._id),
		corpus.map((document) => document.title ?? ""),
		corpus.map((document) => document.text ?? ""),
	]);
	for (const configuration of configurations) {
		await client.query(`ALTER TABLE documents ADD COLUMN terms_${configuration} tsvector`);
		await client.query(`UPDATE documents SET terms_${configuration} =
			setweight(to_tsvector('${configuration}', title), 'A') || setweight(to_tsvector('${configuration}', body), 'D')`);
	}
	process.stdout.write(
		"| configuration | ranking | weights {D,C,B,A} | nDCG@10 | R@100 | MRR@10 |\n|---|---|---|---|---|---|\n",
	);
	for (const configuration of configurations) {
		for (const ranking of ["ts_rank", "ts_rank_cd"]) {
			// PostgreSQL's default weights, then the title at 3× the body as the store weighs it.
			for (const weights of ["{0.1, 0.2, 0.4, 1.0}", "{0.333, 0.2, 0.4, 1.0}"]) {
				let ndcg = 0;
				let reciprocal = 0;
				let recalled = 0;
				for (const query of queries) {
					const { rows } = await client.query<{ id: string }>(
						`SELECT id FROM documents, to_tsquery('${configuration}', $1) AS query
						WHERE terms_${configuration} @@ query
						ORDER BY ${ranking}('${weights}', terms_${configuration}, query) DESC, id LIMIT 100`,
						[keywordQueryTerms(query.text).join(" | ")],
					);
					const ranked = rows.map((row) => row.id);
					const grades = judgements.get(query._id)!;
					ndcg += normalizedDiscountedCumulativeGain(ranked.slice(0, 10), grades, 10);
					reciprocal += reciprocalRank(ranked.slice(0, 10), grades, 10);
					recalled += recall(ranked, grades, 100);
				}
				const mean = (sum: number) => (sum / queries.length).toFixed(3);
				process.stdout.write(
					`| ${configuration} | ${ranking} | ${weights} | ${mean(ndcg)} | ${mean(recalled)} | ${mean(reciprocal)} |\n`,
				);
			}
		}
	}
} finally {
	await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
	await client.end();
}
