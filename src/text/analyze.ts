import { portugueseStem, spanishStem } from "./light-stemmers.js";
import { porterStem } from "./porter-stemmer.js";
import { type Language, stopwords } from "./stopwords.js";

/**
 * Text analysis shared by the local embedder and the keyword query builders: folding, word
 * splitting, language guessing, stopwords and stemming. Folding mirrors SQLite's `unicode61`
 * tokenizer (lower case, diacritics removed, letters and digits are word characters), so a word
 * seen here is a word the keyword index saw.
 */

const wordPattern = /[\p{L}\p{N}]+/gu;
const combiningMarks = /\p{M}+/gu;
const nonAscii = /[^\p{ASCII}]/u;

/** Lower case without diacritics ("Proteção" → "protecao"). */
export function foldText(text: string): string {
	const lowered = text.toLowerCase();
	// Normalising is the costly step; most chunks are plain ASCII and skip it.
	return nonAscii.test(lowered) ? lowered.normalize("NFKD").replace(combiningMarks, "") : lowered;
}

/** The words of already folded text, in order. */
export function splitWords(foldedText: string): string[] {
	return foldedText.match(wordPattern) ?? [];
}

const languages: readonly Language[] = ["en", "pt", "es"];

/**
 * The language whose function words occur most often among `words`; English on a tie or when
 * none occurs (short queries often have no function word at all).
 */
export function guessLanguage(words: readonly string[]): Language {
	let best: Language = "en";
	let bestCount = 0;
	for (const language of languages) {
		const list = stopwords[language];
		let count = 0;
		for (const word of words) {
			if (list.has(word)) count++;
		}
		if (count > bestCount) {
			best = language;
			bestCount = count;
		}
	}
	return best;
}

const stemmers: Readonly<Record<Language, (word: string) => string>> = {
	en: porterStem,
	pt: portugueseStem,
	es: spanishStem,
};

export function stemmerFor(language: Language): (word: string) => string {
	return stemmers[language];
}

export interface AnalyzedText {
	language: Language;
	/** Folded words that are not function words, in order (repeats kept). */
	words: string[];
}

/** Folds, splits, guesses the language and drops its function words. */
export function contentWords(text: string): AnalyzedText {
	const words = splitWords(foldText(text));
	const language = guessLanguage(words);
	const list = stopwords[language];
	return { language, words: words.filter((word) => !list.has(word)) };
}

/** Upper bound on the terms of one keyword query: a pasted page must not become a 2,000-way OR. */
export const maximumQueryTerms = 32;

/**
 * The distinct words of a search query worth matching: folded, function words of its language
 * dropped (they cost time and say little), at most `maximumQueryTerms`. A query made only of
 * function words ("what is it") keeps them, since they are all there is.
 */
export function keywordQueryTerms(query: string): string[] {
	const words = splitWords(foldText(query));
	const list = stopwords[guessLanguage(words)];
	const content = words.filter((word) => !list.has(word));
	const chosen = content.length > 0 ? content : words;
	return [...new Set(chosen)].slice(0, maximumQueryTerms);
}
