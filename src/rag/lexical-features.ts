import { contentWords, stemmerFor } from "../text/analyze.js";
import { createFeatureTable } from "./feature-table.js";

/**
 * The features of the local embedder, hashed straight into a dense vector ("the hashing trick"):
 * each stemmed word, and each character 3–5-gram of each word with its boundaries marked
 * ("<wing>" → "<wi", "win", …, "ng>"). Stems match inflections exactly; the n-grams give partial
 * credit to compounds, misspellings and languages the stemmer does not know. Each feature gets a
 * sublinear term frequency (1 + ln tf) times the mean weight of the words it came from, a random
 * but fixed sign, and a slot among `dimensions`; signed hashing keeps collisions unbiased.
 */

export interface LexicalFeatureSettings {
	dimensions: number;
	/** Weight of a word's stem relative to one of its n-grams. */
	stemWeight: number;
	/** Weight of each character n-gram. */
	ngramWeight: number;
}

/** Per-word weights (e.g. inverse document frequency), given the stems of the words in order. */
export type WordWeigher = (stems: readonly string[]) => ArrayLike<number>;

/** Longer words are cut here: a 10 kB token (base64, a minified line) says no more than its start. */
const maximumWordLength = 48;
const stemSeed = 0x9747b28c;
const ngramSeed = 0x2c1b3c6d;
const fnvPrime = 0x01000193;
const startMarker = 0x02;
const endMarker = 0x03;

export interface LexicalAnalysis {
	words: string[];
	stems: string[];
}

/**
 * Stems of recent words per language. Stemming is the costliest step per word and a corpus
 * repeats its vocabulary, so a bounded memo (cleared wholesale when full) roughly doubles throughput.
 */
const stemCaches = new Map<string, Map<string, string>>();
const maximumCachedStems = 50_000;

function cachedStem(language: string, word: string): string {
	let cache = stemCaches.get(language);
	if (cache === undefined) {
		cache = new Map();
		stemCaches.set(language, cache);
	}
	let stem = cache.get(word);
	if (stem === undefined) {
		stem = stemmerFor(language as Parameters<typeof stemmerFor>[0])(word);
		if (cache.size >= maximumCachedStems) cache.clear();
		cache.set(word, stem);
	}
	return stem;
}

/** The content words of `text` (stopwords of its language dropped) and their stems. */
export function analyzeForFeatures(text: string): LexicalAnalysis {
	const { language, words } = contentWords(text);
	const kept: string[] = [];
	const stems: string[] = [];
	for (const word of words) {
		const cut = word.length > maximumWordLength ? word.slice(0, maximumWordLength) : word;
		kept.push(cut);
		stems.push(cachedStem(language, cut));
	}
	return { words: kept, stems };
}

/** Murmur3's finaliser: every input bit affects every output bit, so slot and sign are independent. */
function mix(hash: number): number {
	let mixed = hash ^ (hash >>> 16);
	mixed = Math.imul(mixed, 0x85ebca6b);
	mixed ^= mixed >>> 13;
	mixed = Math.imul(mixed, 0xc2b2ae35);
	mixed ^= mixed >>> 16;
	// 0 marks an empty slot in the feature table.
	return mixed === 0 ? 1 : mixed >>> 0;
}

function hashString(text: string, seed: number): number {
	let hash = seed;
	for (let index = 0; index < text.length; index++) {
		hash = Math.imul(hash ^ text.charCodeAt(index), fnvPrime);
	}
	return mix(hash);
}

export interface LexicalFeatureHasher {
	/** A unit vector (or all zeros when the text has no content word). */
	vectorize(analysis: LexicalAnalysis, wordWeights: ArrayLike<number> | undefined): Float32Array;
}

export function createLexicalFeatureHasher(settings: LexicalFeatureSettings): LexicalFeatureHasher {
	const { dimensions, stemWeight, ngramWeight } = settings;
	const table = createFeatureTable();
	// Char codes of the current word with its boundary markers, reused across words.
	let codes = new Uint16Array(maximumWordLength + 2);

	function addNgrams(word: string, weight: number): void {
		const length = word.length + 2;
		if (codes.length < length) codes = new Uint16Array(length);
		codes[0] = startMarker;
		for (let index = 0; index < word.length; index++) codes[index + 1] = word.charCodeAt(index);
		codes[length - 1] = endMarker;
		// A two-letter word ("<ab>") still yields its 3- and 4-grams; a one-letter word only "<a>".
		for (let start = 0; start + 3 <= length; start++) {
			let hash = ngramSeed;
			const end = Math.min(start + 5, length);
			for (let index = start; index < end; index++) {
				hash = Math.imul(hash ^ codes[index]!, fnvPrime);
				if (index - start >= 2) table.add(mix(hash ^ (index - start)), weight);
			}
		}
	}

	return {
		vectorize(analysis, wordWeights) {
			const { words, stems } = analysis;
			for (let index = 0; index < words.length; index++) {
				const weight = wordWeights === undefined ? 1 : wordWeights[index]!;
				if (!(weight > 0)) continue;
				table.add(hashString(stems[index]!, stemSeed), weight * stemWeight);
				addNgrams(words[index]!, weight * ngramWeight);
			}
			const vector = new Float32Array(dimensions);
			table.drain((hash, count, weightTotal) => {
				const value = (1 + Math.log(count)) * (weightTotal / count);
				const slot = hash % dimensions;
				vector[slot] = vector[slot]! + (hash & 0x80000000 ? -value : value);
			});
			let squaredNorm = 0;
			for (let index = 0; index < dimensions; index++) squaredNorm += vector[index]! * vector[index]!;
			if (squaredNorm > 0) {
				const scale = 1 / Math.sqrt(squaredNorm);
				for (let index = 0; index < dimensions; index++) vector[index] = vector[index]! * scale;
			}
			return vector;
		},
	};
}
