import { notFound } from "../errors.js";
import type { Store } from "../store/store-port.js";
import type { UsageBucket, UsageGrouping, UsageRange, UsageTotals } from "../store/usage-port.js";
import { type BudgetLimits, budgetLimitNames, budgetLimitParts } from "./budget-limits.js";
import type { BudgetOverridePatch, BudgetService } from "./budget-service.js";
import { type BudgetWindow, windowAt } from "./usage-windows.js";

export interface UsageReport {
	range: UsageRange;
	groupBy: UsageGrouping;
	totals: UsageTotals;
	buckets: UsageBucket[];
}

/** One window of a user's budget: its bounds, and for tokens and cost the limit (0: none) and what was used. */
export interface BudgetWindowStatus {
	window: BudgetWindow;
	start: number;
	end: number;
	tokens: { limit: number; used: number };
	microUsd: { limit: number; used: number };
}

export type UsageService = ReturnType<typeof createUsageService>;

/** Usage reports and budget administration; reads totals from the store, so they are exact across processes. */
export function createUsageService(options: { store: Store; budgets: BudgetService; now?: () => number }) {
	const { store, budgets } = options;
	const now = options.now ?? Date.now;

	async function windowStatus(userId: string, limits: BudgetLimits, window: BudgetWindow): Promise<BudgetWindowStatus> {
		const bounds = windowAt(window, now());
		const totals = await store.usage.totals(userId, { from: bounds.start, to: bounds.end });
		const limitOf = (measure: "tokens" | "cost") => {
			const name = budgetLimitNames.find(
				(candidate) => budgetLimitParts[candidate].window === window && budgetLimitParts[candidate].measure === measure,
			);
			return name === undefined ? 0 : limits[budgetLimitParts[name].field];
		};
		return {
			window,
			start: bounds.start,
			end: bounds.end,
			tokens: { limit: limitOf("tokens"), used: totals.totalTokens },
			microUsd: { limit: limitOf("cost"), used: totals.costMicroUsd },
		};
	}

	async function budgetStatus(userId: string, roles: readonly string[]) {
		const limits = await budgets.limitsFor(userId, roles);
		const [day, month] = await Promise.all([
			windowStatus(userId, limits, "day"),
			windowStatus(userId, limits, "month"),
		]);
		return { limits, day, month };
	}

	async function existingUser(userId: string) {
		const user = await store.users.findById(userId);
		if (user === undefined) throw notFound("user");
		return user;
	}

	return {
		async report(userId: string, range: UsageRange, groupBy: Exclude<UsageGrouping, "user">): Promise<UsageReport> {
			const buckets = await store.usage.summarizeForUser(userId, range, groupBy);
			return { range, groupBy, totals: sum(buckets), buckets };
		},

		/** Operators only: across users, or one user's when `userId` is given. */
		async reportAll(range: UsageRange, groupBy: UsageGrouping, userId?: string): Promise<UsageReport> {
			const buckets = await store.usage.summarizeAll(range, groupBy, userId);
			return { range, groupBy, totals: sum(buckets), buckets };
		},

		budgetStatus,

		/** A user's overrides and resulting budget, for admins; 404 for an unknown user. */
		async budgetOf(userId: string) {
			const user = await existingUser(userId);
			const overrides = await budgets.overridesOf(user.id);
			return { userId: user.id, overrides, status: await budgetStatus(user.id, user.roles) };
		},

		async updateBudget(userId: string, patch: BudgetOverridePatch) {
			const user = await existingUser(userId);
			const overrides = await budgets.updateOverrides(user.id, patch);
			return { userId: user.id, overrides, status: await budgetStatus(user.id, user.roles) };
		},
	};
}

function sum(buckets: UsageBucket[]): UsageTotals {
	const totals: UsageTotals = {
		requests: 0,
		promptTokens: 0,
		completionTokens: 0,
		totalTokens: 0,
		costMicroUsd: 0,
		unpricedRequests: 0,
	};
	for (const bucket of buckets) {
		totals.requests += bucket.requests;
		totals.promptTokens += bucket.promptTokens;
		totals.completionTokens += bucket.completionTokens;
		totals.totalTokens += bucket.totalTokens;
		totals.costMicroUsd += bucket.costMicroUsd;
		totals.unpricedRequests += bucket.unpricedRequests;
	}
	return totals;
}
