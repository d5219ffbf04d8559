import type { Principal } from "../auth/principal.js";
import { AppError } from "../errors.js";
import type { InteractionRecord, Store } from "../store/store-port.js";
import {
	type BudgetLimitName,
	type BudgetLimits,
	budgetLimitNames,
	budgetLimitParts,
	isUnlimited,
	usd,
} from "./budget-limits.js";
import type { BudgetService } from "./budget-service.js";
import type { PriceTable } from "./price-table.js";
import { type WindowBounds, windowAt } from "./usage-windows.js";

/**
 * What the chat services need for accounting: a budget check before a model call, the cost of
 * a call, and word of every call recorded.
 */
export interface UsageMeter {
	/**
	 * Throws budget_exceeded when the user has already used up a daily or monthly limit. Returns
	 * undefined, without waiting, for a user with no limits whose settings are cached.
	 */
	check(principal: Principal): Promise<void> | undefined;
	/** Micro-dollars, or null when the model has no price. */
	costMicroUsd(modelId: string, tokens: { promptTokens: number; completionTokens: number }): number | null;
	/** Call after an interaction is stored, so running totals include it. */
	recorded(interaction: InteractionRecord): void;
}

/** Users with budgets whose running totals one process keeps at most. */
const runningTotalsCap = 100_000;

/** A user's spend in the current UTC day and month, as this process knows it. */
interface RunningTotals {
	day: WindowBounds;
	month: WindowBounds;
	dayTokens: number;
	dayMicroUsd: number;
	monthTokens: number;
	monthMicroUsd: number;
	/** Pending while the window's totals are read from the store. */
	loading: Promise<void> | undefined;
}

/**
 * Enforces budgets without a query per request. The first check of a user with limits in a
 * window reads the window's totals from the store once; afterwards the totals are kept in memory
 * and grown as this process records calls. Users without limits (the default) cost a map lookup.
 *
 * Several processes sharing one store each read the shared totals when their window starts and
 * then count only their own calls, so together they may overshoot a limit by what the others
 * spent since; and calls in flight when a limit is reached still complete. Calls recorded while
 * the totals are being read may be counted twice, which errs towards enforcing.
 */
export function createUsageMeter(options: {
	store: Store;
	prices: PriceTable;
	budgets: BudgetService;
	now?: () => number;
}): UsageMeter {
	const { store, prices, budgets } = options;
	const now = options.now ?? Date.now;
	const running = new Map<string, RunningTotals>();

	function totalsFor(userId: string, at: number): RunningTotals {
		const current = running.get(userId);
		if (current !== undefined && at >= current.day.start && at < current.day.end) return current;
		const fresh: RunningTotals = {
			day: windowAt("day", at),
			month: windowAt("month", at),
			dayTokens: 0,
			dayMicroUsd: 0,
			monthTokens: 0,
			monthMicroUsd: 0,
			loading: undefined,
		};
		fresh.loading = (async () => {
			const [day, month] = await Promise.all([
				store.usage.totals(userId, { from: fresh.day.start, to: fresh.day.end }),
				store.usage.totals(userId, { from: fresh.month.start, to: fresh.month.end }),
			]);
			// Added to, not assigned: calls recorded meanwhile are already in the counters.
			fresh.dayTokens += day.totalTokens;
			fresh.dayMicroUsd += day.costMicroUsd;
			fresh.monthTokens += month.totalTokens;
			fresh.monthMicroUsd += month.costMicroUsd;
			fresh.loading = undefined;
		})();
		fresh.loading.catch(() => {
			// A failed read is retried by the next check instead of leaving wrong totals behind.
			if (running.get(userId) === fresh) running.delete(userId);
		});
		// Users who stopped calling keep their entry until the cap; starting afresh only costs
		// each active user one more read of the store.
		if (running.size >= runningTotalsCap && current === undefined) running.clear();
		running.set(userId, fresh);
		return fresh;
	}

	async function enforce(principal: Principal, known: BudgetLimits | undefined): Promise<void> {
		const limits = known ?? (await budgets.limitsFor(principal.userId, principal.roles));
		if (isUnlimited(limits)) return;
		const at = now();
		const totals = totalsFor(principal.userId, at);
		if (totals.loading !== undefined) await totals.loading;
		const reached = budgetLimitNames.filter((name) => {
			const limit = limits[budgetLimitParts[name].field];
			return limit > 0 && used(totals, name) >= limit;
		});
		if (reached.length > 0) throw budgetExceeded(reached, limits, totals, at);
	}

	return {
		check(principal) {
			const limits = budgets.cachedLimits(principal.userId, principal.roles);
			if (limits !== undefined && isUnlimited(limits)) return undefined;
			return enforce(principal, limits);
		},

		costMicroUsd: (modelId, tokens) => prices.costMicroUsd(modelId, tokens),

		recorded(interaction) {
			const totals = running.get(interaction.userId);
			if (totals === undefined) return;
			const at = interaction.createdAt;
			if (at >= totals.day.end) {
				// A new window began; the next check reads it afresh.
				running.delete(interaction.userId);
				return;
			}
			const cost = interaction.costMicroUsd ?? 0;
			if (at >= totals.day.start) {
				totals.dayTokens += interaction.totalTokens;
				totals.dayMicroUsd += cost;
			}
			if (at >= totals.month.start) {
				totals.monthTokens += interaction.totalTokens;
				totals.monthMicroUsd += cost;
			}
		},
	};
}

function used(totals: RunningTotals, name: BudgetLimitName): number {
	switch (name) {
		case "daily_tokens":
			return totals.dayTokens;
		case "daily_usd":
			return totals.dayMicroUsd;
		case "monthly_tokens":
			return totals.monthTokens;
		case "monthly_usd":
			return totals.monthMicroUsd;
	}
}

/** Names the limit that resets last (retrying earlier would fail again), and lists all reached. */
function budgetExceeded(reached: BudgetLimitName[], limits: BudgetLimits, totals: RunningTotals, at: number): AppError {
	const name =
		reached.find((candidate) => budgetLimitParts[candidate].window === "month") ?? (reached[0] as BudgetLimitName);
	const { field, window, measure } = budgetLimitParts[name];
	const resetsAt = totals[window].end;
	const show = (value: number) => (measure === "cost" ? usd(value) : value);
	const limit = show(limits[field]);
	const spent = show(used(totals, name));
	const unit = measure === "cost" ? "USD" : "tokens";
	const resets = new Date(resetsAt).toISOString();
	return new AppError("budget_exceeded", {
		detail: `your ${window === "day" ? "daily" : "monthly"} budget of ${limit} ${unit} is used up (${spent} used); it resets at ${resets}`,
		extensions: { limit: name, window, limit_value: limit, used: spent, resets_at: resets, exceeded: reached },
		headers: { "retry-after": String(Math.max(1, Math.ceil((resetsAt - at) / 1000))) },
	});
}
