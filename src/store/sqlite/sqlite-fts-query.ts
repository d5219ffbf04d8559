import { createHash } from "node:crypto";
import { keywordQueryTerms } from "../../text/analyze.js";

/**
 * Builds FTS5 MATCH expressions from raw user text, so that no input can be a syntax error or
 * reach beyond its scopes.
 *
 * - Every term is a double-quoted FTS5 string ("…" with " doubled), so `*`, `:`, `^`, `-`, `(`,
 *   `NEAR`, `AND`, column names and the like are plain words. Terms come from text analysis
 *   (letters and digits only), so quoting is a second line of defence.
 * - Terms are joined with OR: raw text is a syntax error for most natural-language questions, and
 *   quoted terms joined by FTS5's implicit AND match nothing for almost all of them.
 * - The user's terms are confined to the title and body columns; the scope and collection filters
 *   are tokens of their own columns, ANDed with the terms inside the same expression. A scope token
 *   is a decimal digest of the scope string: digits only, so the porter tokenizer leaves it as it
 *   is, and no user term can name one (user terms never match those columns anyway).
 */

export interface KeywordMatch {
	/** The MATCH expression; undefined when the query has no searchable word. */
	expression: string | undefined;
	terms: string[];
}

/** 96 bits of SHA-256 as a decimal token: collisions are out of reach, and digits survive stemming. */
export function partitionToken(kind: "scope" | "collection", value: string): string {
	const digest = createHash("sha256").update(`${kind}\u0000${value}`).digest();
	return BigInt(`0x${digest.subarray(0, 12).toString("hex")}`).toString(10);
}

export function quoteFtsString(term: string): string {
	return `"${term.replaceAll('"', '""')}"`;
}

function anyOf(column: string, tokens: readonly string[]): string {
	return `${column} : (${tokens.map(quoteFtsString).join(" OR ")})`;
}

export function buildKeywordMatch(
	query: string,
	scopes: readonly string[],
	collectionIds: readonly string[] | undefined,
): KeywordMatch {
	const terms = keywordQueryTerms(query);
	if (terms.length === 0 || scopes.length === 0 || (collectionIds !== undefined && collectionIds.length === 0)) {
		return { expression: undefined, terms };
	}
	const parts = [
		anyOf(
			"scope_token",
			scopes.map((scope) => partitionToken("scope", scope)),
		),
	];
	if (collectionIds !== undefined) {
		parts.push(
			anyOf(
				"collection_token",
				collectionIds.map((id) => partitionToken("collection", id)),
			),
		);
	}
	parts.push(`{title body} : (${terms.map(quoteFtsString).join(" OR ")})`);
	return { expression: parts.join(" AND "), terms };
}
