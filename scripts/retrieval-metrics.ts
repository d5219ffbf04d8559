/**
 * Ranking metrics as BEIR and trec_eval define them: nDCG@k with graded (linear) gains, Recall@k
 * and MRR@k over the judged-relevant documents (grade > 0). Unjudged documents count as irrelevant.
 */

/** query id → document id → grade. */
export type Judgements = ReadonlyMap<string, ReadonlyMap<string, number>>;

export interface QueryMetrics {
	ndcgAt10: number;
	recallAt100: number;
	mrrAt10: number;
}

export function normalizedDiscountedCumulativeGain(
	ranking: readonly string[],
	grades: ReadonlyMap<string, number>,
	cutoff: number,
): number {
	let gain = 0;
	for (let rank = 0; rank < Math.min(cutoff, ranking.length); rank++) {
		const grade = grades.get(ranking[rank]!) ?? 0;
		if (grade > 0) gain += grade / Math.log2(rank + 2);
	}
	const ideal = [...grades.values()]
		.filter((grade) => grade > 0)
		.sort((left, right) => right - left)
		.slice(0, cutoff);
	let idealGain = 0;
	for (const [rank, grade] of ideal.entries()) idealGain += grade / Math.log2(rank + 2);
	return idealGain === 0 ? 0 : gain / idealGain;
}

export function recall(ranking: readonly string[], grades: ReadonlyMap<string, number>, cutoff: number): number {
	const relevant = [...grades.values()].filter((grade) => grade > 0).length;
	if (relevant === 0) return 0;
	let found = 0;
	for (const document of ranking.slice(0, cutoff)) {
		if ((grades.get(document) ?? 0) > 0) found++;
	}
	return found / relevant;
}

export function reciprocalRank(
	ranking: readonly string[],
	grades: ReadonlyMap<string, number>,
	cutoff: number,
): number {
	for (let rank = 0; rank < Math.min(cutoff, ranking.length); rank++) {
		if ((grades.get(ranking[rank]!) ?? 0) > 0) return 1 / (rank + 1);
	}
	return 0;
}

export function scoreQuery(ranking: readonly string[], grades: ReadonlyMap<string, number>): QueryMetrics {
	return {
		ndcgAt10: normalizedDiscountedCumulativeGain(ranking, grades, 10),
		recallAt100: recall(ranking, grades, 100),
		mrrAt10: reciprocalRank(ranking, grades, 10),
	};
}

export function meanMetrics(perQuery: readonly QueryMetrics[]): QueryMetrics {
	const count = Math.max(perQuery.length, 1);
	const sum = (pick: (metrics: QueryMetrics) => number) => perQuery.reduce((total, item) => total + pick(item), 0);
	return {
		ndcgAt10: sum((metrics) => metrics.ndcgAt10) / count,
		recallAt100: sum((metrics) => metrics.recallAt100) / count,
		mrrAt10: sum((metrics) => metrics.mrrAt10) / count,
	};
}
