/**
 * Usage accounting over the interaction ledger, and per-user budget overrides. Part of the storage
 * port (`Store.usage`, `Store.budgets`). Ranges are half-open: `from <= createdAt < to`, epoch ms.
 */

export interface UsageTotals {
	requests: number;
	promptTokens: number;
	completionTokens: number;
	totalTokens: number;
	/** Cost of the priced calls, in micro-dollars. */
	costMicroUsd: number;
	/** Calls whose model had no price when they were made; they count as costing nothing. */
	unpricedRequests: number;
}

export type UsageGrouping = "day" | "model" | "user";

export interface UsageBucket extends UsageTotals {
	/** A UTC date "YYYY-MM-DD", a public model id, or a user id, by grouping. */
	key: string;
}

export interface UsageRange {
	from: number;
	to: number;
}

export interface UsageRepository {
	/** One user's calls in the range, summed. */
	totals(userId: string, range: UsageRange): Promise<UsageTotals>;
	/** One user's calls in the range, grouped; buckets in key order, empty ones left out. */
	summarizeForUser(userId: string, range: UsageRange, groupBy: Exclude<UsageGrouping, "user">): Promise<UsageBucket[]>;
	/** Everyone's calls in the range (only `userId`'s when given), grouped, for operators. */
	summarizeAll(range: UsageRange, groupBy: UsageGrouping, userId?: string): Promise<UsageBucket[]>;
}

/** Limits an admin set for one user; null leaves that limit to the user's role. 0 means unlimited. */
export interface BudgetOverrideRecord {
	userId: string;
	dailyTokens: number | null;
	monthlyTokens: number | null;
	dailyMicroUsd: number | null;
	monthlyMicroUsd: number | null;
	updatedAt: number;
}

export interface BudgetRepository {
	find(userId: string): Promise<BudgetOverrideRecord | undefined>;
	/** Replaces the user's overrides; a record whose limits are all null removes them. */
	put(record: BudgetOverrideRecord): Promise<void>;
}
