import type {
	BudgetOverrideRecord,
	BudgetRepository,
	UsageBucket,
	UsageGrouping,
	UsageRepository,
	UsageTotals,
} from "../usage-port.js";
import { type PostgresRepositoryDependencies, queryOne } from "./postgres-repository-support.js";

// count(*) is bigint and sum(bigint) numeric; the pool reads both as numbers (postgres-store.ts).
const sums = `count(*) AS requests,
	coalesce(sum(prompt_tokens), 0) AS "promptTokens",
	coalesce(sum(completion_tokens), 0) AS "completionTokens",
	coalesce(sum(total_tokens), 0) AS "totalTokens",
	coalesce(sum(cost_micro_usd), 0) AS "costMicroUsd",
	count(*) - count(cost_micro_usd) AS "unpricedRequests"`;

const bucketKeys: Record<UsageGrouping, string> = {
	// Whole seconds after the Unix epoch as a timestamp without time zone: the UTC date whatever
	// the session's TimeZone, truncated exactly as SQLite's strftime over created_at / 1000.
	day: "to_char(timestamp '1970-01-01' + (created_at / 1000) * interval '1 second', 'YYYY-MM-DD')",
	model: "model",
	user: "user_id",
};

/**
 * Half-open ranges, matching the port. Filtering on user_id first lets interactions_user_created
 * serve it. Keys are ordered by bytes, as SQLite orders them, whatever the database's collation.
 */
function summarySql(groupBy: UsageGrouping, byUser: boolean): string {
	const key = bucketKeys[groupBy];
	const range = byUser
		? "user_id = $1 AND created_at >= $2 AND created_at < $3"
		: "created_at >= $1 AND created_at < $2";
	return `SELECT ${key} AS key, ${sums} FROM interactions WHERE ${range}
		GROUP BY ${key} ORDER BY ${key} COLLATE "C"`;
}

/** Reads for reports and for loading budget windows, never on the per-request path. */
export function createPostgresUsageRepository({ pool }: PostgresRepositoryDependencies): UsageRepository {
	return {
		async totals(userId, range) {
			const totals = await queryOne<UsageTotals>(
				pool,
				`SELECT ${sums} FROM interactions WHERE user_id = $1 AND created_at >= $2 AND created_at < $3`,
				[userId, range.from, range.to],
			);
			return totals!;
		},

		async summarizeForUser(userId, range, groupBy) {
			const { rows } = await pool.query<UsageBucket>(summarySql(groupBy, true), [userId, range.from, range.to]);
			return rows;
		},

		async summarizeAll(range, groupBy, userId) {
			const { rows } =
				userId === undefined
					? await pool.query<UsageBucket>(summarySql(groupBy, false), [range.from, range.to])
					: await pool.query<UsageBucket>(summarySql(groupBy, true), [userId, range.from, range.to]);
			return rows;
		},
	};
}

export function createPostgresBudgetRepository({ pool }: PostgresRepositoryDependencies): BudgetRepository {
	return {
		find(userId) {
			return queryOne<BudgetOverrideRecord>(
				pool,
				`SELECT user_id AS "userId", daily_tokens AS "dailyTokens", monthly_tokens AS "monthlyTokens",
					daily_micro_usd AS "dailyMicroUsd", monthly_micro_usd AS "monthlyMicroUsd", updated_at AS "updatedAt"
				FROM user_budgets WHERE user_id = $1`,
				[userId],
			);
		},

		async put(record) {
			const limits = [record.dailyTokens, record.monthlyTokens, record.dailyMicroUsd, record.monthlyMicroUsd] as const;
			if (limits.every((limit) => limit === null)) {
				await pool.query("DELETE FROM user_budgets WHERE user_id = $1", [record.userId]);
				return;
			}
			await pool.query(
				`INSERT INTO user_budgets (user_id, daily_tokens, monthly_tokens, daily_micro_usd, monthly_micro_usd, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (user_id) DO UPDATE SET daily_tokens = excluded.daily_tokens,
					monthly_tokens = excluded.monthly_tokens, daily_micro_usd = excluded.daily_micro_usd,
					monthly_micro_usd = excluded.monthly_micro_usd, updated_at = excluded.updated_at`,
				[record.userId, ...limits, record.updatedAt],
			);
		},
	};
}
