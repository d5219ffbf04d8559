import type { Statement } from "better-sqlite3";
import type {
	BudgetOverrideRecord,
	BudgetRepository,
	UsageBucket,
	UsageGrouping,
	UsageRepository,
	UsageTotals,
} from "../usage-port.js";
import { preparedOnFirstUse, type SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

const sums = `count(*) AS requests,
	coalesce(sum(prompt_tokens), 0) AS promptTokens,
	coalesce(sum(completion_tokens), 0) AS completionTokens,
	coalesce(sum(total_tokens), 0) AS totalTokens,
	coalesce(sum(cost_micro_usd), 0) AS costMicroUsd,
	count(*) - count(cost_micro_usd) AS unpricedRequests`;

const bucketKeys: Record<UsageGrouping, string> = {
	// created_at is epoch ms; integer division keeps whole seconds for SQLite's date functions.
	day: "strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')",
	model: "model",
	user: "user_id",
};

/** Half-open ranges, matching the port. Filtering on user_id first lets interactions_user_created serve it. */
function summarySql(groupBy: UsageGrouping, byUser: boolean): string {
	const key = bucketKeys[groupBy];
	return `SELECT ${key} AS key, ${sums} FROM interactions
		WHERE ${byUser ? "user_id = ? AND " : ""}created_at >= ? AND created_at < ?
		GROUP BY ${key} ORDER BY ${key}`;
}

/** Reads for reports and for loading budget windows, never on the per-request path. */
export function createSqliteUsageRepository({ database }: SqliteRepositoryDependencies): UsageRepository {
	const statements = preparedOnFirstUse(() => ({
		totals: database.prepare<[string, number, number], UsageTotals>(
			`SELECT ${sums} FROM interactions WHERE user_id = ? AND created_at >= ? AND created_at < ?`,
		),
		summaries: new Map<string, Statement<unknown[], UsageBucket>>(),
	}));

	function summary(groupBy: UsageGrouping, byUser: boolean): Statement<unknown[], UsageBucket> {
		const cache = statements().summaries;
		const name = `${groupBy}:${byUser}`;
		let statement = cache.get(name);
		if (statement === undefined) {
			statement = database.prepare<unknown[], UsageBucket>(summarySql(groupBy, byUser));
			cache.set(name, statement);
		}
		return statement;
	}

	return {
		async totals(userId, range) {
			return statements().totals.get(userId, range.from, range.to) as UsageTotals;
		},

		async summarizeForUser(userId, range, groupBy) {
			return summary(groupBy, true).all(userId, range.from, range.to);
		},

		async summarizeAll(range, groupBy, userId) {
			return userId === undefined
				? summary(groupBy, false).all(range.from, range.to)
				: summary(groupBy, true).all(userId, range.from, range.to);
		},
	};
}

export function createSqliteBudgetRepository({ database, writeQueue }: SqliteRepositoryDependencies): BudgetRepository {
	const statements = preparedOnFirstUse(() => ({
		find: database.prepare<[string], BudgetOverrideRecord>(
			`SELECT user_id AS userId, daily_tokens AS dailyTokens, monthly_tokens AS monthlyTokens,
				daily_micro_usd AS dailyMicroUsd, monthly_micro_usd AS monthlyMicroUsd, updated_at AS updatedAt
			FROM user_budgets WHERE user_id = ?`,
		),
		upsert: database.prepare<[string, number | null, number | null, number | null, number | null, number]>(
			`INSERT INTO user_budgets (user_id, daily_tokens, monthly_tokens, daily_micro_usd, monthly_micro_usd, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET daily_tokens = excluded.daily_tokens,
				monthly_tokens = excluded.monthly_tokens, daily_micro_usd = excluded.daily_micro_usd,
				monthly_micro_usd = excluded.monthly_micro_usd, updated_at = excluded.updated_at`,
		),
		remove: database.prepare<[string]>("DELETE FROM user_budgets WHERE user_id = ?"),
	}));

	return {
		async find(userId) {
			return statements().find.get(userId);
		},

		async put(record) {
			const limits = [record.dailyTokens, record.monthlyTokens, record.dailyMicroUsd, record.monthlyMicroUsd] as const;
			await writeQueue.run(
				() => {
					if (limits.every((limit) => limit === null)) {
						statements().remove.run(record.userId);
					} else {
						statements().upsert.run(record.userId, ...limits, record.updatedAt);
					}
				},
				{ singleStatement: true },
			);
		},
	};
}
