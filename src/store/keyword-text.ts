import { createHash } from "node:crypto";
import { foldText, keywordQueryTerms, splitWords } from "../text/analyze.js";
import { porterStem } from "../text/porter-stemmer.js";

/**
 * Keyword analysis for the stores that index keywords themselves (PostgreSQL, DynamoDB), matching what SQLite's FTS5 `porter unicode61`
 * tokenizer does (folded words of letters and digits, Porter-stemmed), so the two backends index
 * and match the same terms. tsvector and tsquery values are built as literals: their input
 * functions take lexemes as given, with no parser or dictionary in between.
 */

/** Weight of a title word against a body word, as sqlite-knowledge-search.ts weighs FTS5's columns. */
export const titleWeight = 3;
/** FTS5 counts one token in each of its two filter columns (scope and collection) of every row. */
const filterTokensPerRow = 2;

/** PostgreSQL refuses lexemes over 2,047 bytes; far shorter than that, a "word" is noise anyway. */
const maximumLexemeBytes = 255;

/**
 * A stem as a lexeme. An over-long word becomes "#" and a digest of it: it still matches itself
 * exactly (as in FTS5), and "#" cannot start a real word, which holds letters and digits only.
 */
export function lexemeOf(stem: string): string {
	if (Buffer.byteLength(stem) <= maximumLexemeBytes) return stem;
	return `#${createHash("sha256").update(stem).digest("hex").slice(0, 32)}`;
}

export function keywordTokens(text: string): string[] {
	return splitWords(foldText(text)).map((word) => lexemeOf(porterStem(word)));
}

function quoteLexeme(lexeme: string): string {
	return `'${lexeme.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

export interface IndexedKeywords {
	/** A tsvector literal of the row's distinct terms: what the GIN index matches. */
	tsvector: string;
	/** Each term's frequency for BM25, title occurrences counted `titleWeight` times (FTS5's column weights). */
	frequencies: Record<string, number>;
	/** The row's length in tokens as FTS5 counts it. */
	length: number;
}

export function indexKeywords(title: string, body: string): IndexedKeywords {
	const titleTokens = keywordTokens(title);
	const bodyTokens = keywordTokens(body);
	const frequencies: Record<string, number> = Object.create(null);
	for (const token of titleTokens) frequencies[token] = (frequencies[token] ?? 0) + titleWeight;
	for (const token of bodyTokens) frequencies[token] = (frequencies[token] ?? 0) + 1;
	return {
		tsvector: Object.keys(frequencies).map(quoteLexeme).join(" "),
		frequencies,
		length: filterTokensPerRow + titleTokens.length + bodyTokens.length,
	};
}

/**
 * The stemmed terms of a query, one per query word as FTS5 sees them: two words with one stem
 * ("wing wings") stay two terms, because FTS5's bm25() scores each phrase of the query.
 */
export function queryStems(query: string): string[] {
	return keywordQueryTerms(query).map((word) => lexemeOf(porterStem(word)));
}

/** A tsquery literal matching any of the stems (OR, as sqlite-fts-query.ts builds FTS5 queries). */
export function anyOfQuery(stems: readonly string[]): string {
	return [...new Set(stems)].map(quoteLexeme).join(" | ");
}

/** BM25 inverse document frequency exactly as FTS5 computes it (fts5_aux.c), floored at 1e-6. */
export function inverseDocumentFrequency(rowCount: number, rowsWithTerm: number): number {
	const idf = Math.log((rowCount - rowsWithTerm + 0.5) / (rowsWithTerm + 0.5));
	return idf > 0 ? idf : 1e-6;
}

const snippetWords = 24;
const wordWithPosition = /[\p{L}\p{N}]+/gu;

/**
 * A window of the body around the query's terms, like FTS5's snippet() with 24 tokens and "…"
 * where the window cuts the text: the window holding the most distinct terms, then the most hits.
 */
export function keywordSnippet(body: string, stems: readonly string[]): string | undefined {
	const wanted = new Set(stems);
	const words = [...body.matchAll(wordWithPosition)].map((match) => ({
		start: match.index,
		end: match.index + match[0].length,
		stem: lexemeOf(porterStem(foldText(match[0]))),
	}));
	const hits = words.flatMap((word, index) => (wanted.has(word.stem) ? [index] : []));
	if (hits.length === 0) return undefined;
	let best = { start: 0, distinct: -1, count: -1 };
	for (const hit of hits) {
		// Starts the window a few words before the hit, so the term reads in context.
		const start = Math.max(0, Math.min(hit - 3, words.length - snippetWords));
		const inWindow = words.slice(start, start + snippetWords).filter((word) => wanted.has(word.stem));
		const distinct = new Set(inWindow.map((word) => word.stem)).size;
		if (distinct > best.distinct || (distinct === best.distinct && inWindow.length > best.count)) {
			best = { start, distinct, count: inWindow.length };
		}
	}
	const first = words[best.start]!;
	const last = words[Math.min(best.start + snippetWords, words.length) - 1]!;
	const lead = best.start > 0 ? "…" : "";
	const tail = best.start + snippetWords < words.length ? "…" : "";
	return `${lead}${body.slice(first.start, last.end)}${tail}`;
}
