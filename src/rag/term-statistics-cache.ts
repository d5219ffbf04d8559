import type { KnowledgeRepository, TermStatistics } from "../store/knowledge-port.js";

type TermStatisticsSource = Pick<KnowledgeRepository, "termStatistics">;

/**
 * Remembers document frequencies for a few seconds. They only weight query words (IDF), drift
 * slowly as documents come and go, and looking them up cost ~10% of a grounded chat request —
 * one index lookup per query word on every request.
 */
export function cacheTermStatistics(
	source: TermStatisticsSource,
	options: { ttlMs?: number; maximumWords?: number; now?: () => number } = {},
): TermStatisticsSource {
	const ttlMs = options.ttlMs ?? 10_000;
	const maximumWords = options.maximumWords ?? 50_000;
	const now = options.now ?? Date.now;
	const frequencies = new Map<string, { value: number; at: number }>();
	let chunkCount: { value: number; at: number } | undefined;

	return {
		async termStatistics(words: readonly string[]): Promise<TermStatistics> {
			const at = now();
			const missing = words.filter((word) => {
				const cached = frequencies.get(word);
				return cached === undefined || at - cached.at > ttlMs;
			});
			if (missing.length > 0 || chunkCount === undefined || at - chunkCount.at > ttlMs) {
				const fresh = await source.termStatistics(missing);
				chunkCount = { value: fresh.chunkCount, at };
				if (frequencies.size + missing.length > maximumWords) frequencies.clear();
				for (const [index, word] of missing.entries()) {
					frequencies.set(word, { value: fresh.documentFrequencies[index] ?? 0, at });
				}
			}
			return {
				chunkCount: chunkCount.value,
				documentFrequencies: words.map((word) => frequencies.get(word)?.value ?? 0),
			};
		},
	};
}
