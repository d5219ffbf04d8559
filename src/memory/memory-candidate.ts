import type { MemoryKind } from "../store/memory-port.js";

/**
 * What the rule-based extractor finds in a message, and what it can tell about a stored memory:
 * enough structure to decide, without a model, whether a new statement repeats, replaces or
 * retracts an old one.
 */

/** positive: "I'm vegetarian"; negative: "I'm not vegetarian"; retract: "I'm no longer vegetarian". */
export type Polarity = "positive" | "negative" | "retract";

export type StatementLanguage = "en" | "pt" | "es";

export interface MemorySubject {
	/**
	 * What the statement is about: "residence", "name", "preference:length", or, for subjects a
	 * user can have many of, the thing itself ("attribute:vegetarian", "taste:jazz").
	 */
	subject: string;
	/** One memory per subject (one name, one home): a new value replaces the old one. */
	singleValued: boolean;
	polarity: Polarity;
	/** The value folded for comparison ("lisbon", "vegetarian"). */
	value: string;
}

export interface CandidateMemory extends MemorySubject {
	/** Normalised, third person or neutral, in the user's language: "Lives in Lisbon", "Prefere respostas curtas". */
	text: string;
	kind: MemoryKind;
	language: StatementLanguage;
}

const articles = new Set(["a", "an", "the", "o", "os", "as", "um", "uma", "el", "la", "los", "las", "un", "una"]);

/** Lower case, no diacritics, no punctuation, no leading article: the form values are compared in. */
export function fold(text: string): string {
	const words = text
		.normalize("NFD")
		.replace(/\p{M}+/gu, "")
		.toLowerCase()
		.replace(/[^\p{L}\p{N}]+/gu, " ")
		.trim()
		.split(" ")
		.filter((word) => word.length > 0);
	while (words.length > 1 && articles.has(words[0]!)) words.shift();
	return words.join(" ");
}
