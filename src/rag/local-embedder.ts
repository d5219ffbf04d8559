import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { KnowledgeRepository } from "../store/knowledge-port.js";
import type { Embedder } from "./embedder-port.js";
import { analyzeForFeatures, createLexicalFeatureHasher } from "./lexical-features.js";

/**
 * The default embedder: no network, no model weights, deterministic. It is LEXICAL, not semantic:
 * a text's vector is a hashed bag of its stemmed words and character 3–5-grams
 * (lexical-features.ts), so it matches shared words, inflections, compounds and misspellings,
 * never synonyms or paraphrases ("car" does not find "automobile"). For meaning, configure a
 * provider embedder (EMBEDDER=openai, gemini, bedrock or openai-compatible).
 *
 * Inverse document frequency. Weighting words by rarity is worth ~+0.03 nDCG@10 on Cranfield, but
 * needs corpus statistics, which an online index keeps changing. Here IDF is applied to QUERIES
 * only, from document frequencies the keyword index maintains anyway (`termStatistics`), so
 * stored vectors never go stale as the corpus grows and nothing needs refitting. Documents are
 * embedded with sublinear term frequency alone. Measured on Cranfield (1024 dimensions):
 * no IDF 0.323 nDCG@10, query-side IDF 0.350, IDF on both sides 0.324 (the n-gram features
 * already dampen common words in documents; IDF there mostly adds collision noise).
 *
 * The statistics count chunks in every scope, as FTS5's own bm25() does: they shift scores, never
 * which chunks a search may return.
 */

export interface LocalEmbedderOptions {
	/** Vector length; collisions add noise ~1/√dimensions. Default 1024. */
	dimensions?: number | undefined;
	/** Document frequencies for query-side IDF; without it, query words weigh the same. */
	termStatistics?: Pick<KnowledgeRepository, "termStatistics"> | undefined;
}

export const defaultLocalEmbedderDimensions = 1024;

/**
 * Bumped whenever features or weights change, so vectors of different versions are different
 * spaces (the store never compares them; `parley reindex` moves documents over).
 */
const featureVersion = "v1";

/** A stem counts this many character n-grams; tuned on Cranfield (1 → 0.326, 3 → 0.341, 6 → 0.357, 10 → 0.350). */
const stemWeight = 6;
/** Texts embedded between two yields to the event loop, so a large upload does not stall other requests. */
const textsPerSlice = 64;

export function localEmbedderId(dimensions: number): string {
	return `local-lexical-${featureVersion}:${dimensions}`;
}

export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
	const dimensions = options.dimensions ?? defaultLocalEmbedderDimensions;
	if (!Number.isInteger(dimensions) || dimensions < 8) {
		throw new RangeError(`local embedder dimensions must be an integer ≥ 8, got ${dimensions}`);
	}
	const hasher = createLexicalFeatureHasher({ dimensions, stemWeight, ngramWeight: 1 });
	const statistics = options.termStatistics;

	async function queryWeights(words: readonly string[]): Promise<number[] | undefined> {
		if (statistics === undefined || words.length === 0) return undefined;
		const distinct = [...new Set(words)];
		const { chunkCount, documentFrequencies } = await statistics.termStatistics(distinct);
		if (chunkCount <= 0) return undefined;
		const weightByWord = new Map<string, number>();
		distinct.forEach((word, index) => {
			const frequency = Math.min(documentFrequencies[index] ?? 0, chunkCount);
			// BM25's IDF: positive for every frequency, highest for words the index has never seen.
			weightByWord.set(word, Math.log(1 + (chunkCount - frequency + 0.5) / (frequency + 0.5)));
		});
		return words.map((word) => weightByWord.get(word) ?? 1);
	}

	return {
		id: localEmbedderId(dimensions),
		dimensions,
		async embed(texts, purpose) {
			const vectors: Float32Array[] = [];
			for (const [index, text] of texts.entries()) {
				if (index > 0 && index % textsPerSlice === 0) await yieldToEventLoop();
				const analysis = analyzeForFeatures(text);
				const weights = purpose === "query" ? await queryWeights(analysis.words) : undefined;
				vectors.push(hasher.vectorize(analysis, weights));
			}
			return vectors;
		},
	};
}
