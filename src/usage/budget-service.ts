import type { Store } from "../store/store-port.js";
import type { BudgetOverrideRecord } from "../store/usage-port.js";
import {
	type BudgetLimitName,
	type BudgetLimits,
	type BudgetSettings,
	budgetLimitNames,
	budgetLimitParts,
	createRoleLimits,
	microUsd,
} from "./budget-limits.js";

/** An admin's change to one user's overrides: a number sets a limit (0: unlimited), null clears it. */
export type BudgetOverridePatch = Partial<Record<BudgetLimitName, number | null>>;

/**
 * How long a process trusts the overrides it read for a user. Changes made through this process
 * apply at once; other processes pick them up within this time.
 */
const overrideCacheMs = 30_000;
/** Past this many cached users the cache starts afresh rather than grow without bound. */
const overrideCacheEntries = 100_000;

export type BudgetService = ReturnType<typeof createBudgetService>;

/** Each user's limits: the defaults of their roles (config), replaced limit by limit by an admin's overrides. */
export function createBudgetService(options: {
	store: Store;
	settings: { defaults: BudgetSettings; byRole: Readonly<Record<string, BudgetSettings>> };
	now?: () => number;
}) {
	const { store } = options;
	const now = options.now ?? Date.now;
	const roleLimits = createRoleLimits(options.settings);
	const overrides = new Map<string, { record: BudgetOverrideRecord | undefined; readAt: number }>();

	function remember(userId: string, record: BudgetOverrideRecord | undefined): void {
		if (overrides.size >= overrideCacheEntries) overrides.clear();
		overrides.set(userId, { record, readAt: now() });
	}

	function combine(roles: readonly string[], record: BudgetOverrideRecord | undefined): BudgetLimits {
		const base = roleLimits(roles);
		if (record === undefined) return base;
		return {
			dailyTokens: record.dailyTokens ?? base.dailyTokens,
			monthlyTokens: record.monthlyTokens ?? base.monthlyTokens,
			dailyMicroUsd: record.dailyMicroUsd ?? base.dailyMicroUsd,
			monthlyMicroUsd: record.monthlyMicroUsd ?? base.monthlyMicroUsd,
		};
	}

	async function overridesOf(userId: string): Promise<BudgetOverrideRecord | undefined> {
		const record = await store.budgets.find(userId);
		remember(userId, record);
		return record;
	}

	return {
		/** The limits from cache without waiting, or undefined when they must be read (see limitsFor). */
		cachedLimits(userId: string, roles: readonly string[]): BudgetLimits | undefined {
			const cached = overrides.get(userId);
			if (cached === undefined || now() - cached.readAt > overrideCacheMs) return undefined;
			return combine(roles, cached.record);
		},

		async limitsFor(userId: string, roles: readonly string[]): Promise<BudgetLimits> {
			return combine(roles, await overridesOf(userId));
		},

		overridesOf,

		/** Applies an admin's patch to the user's overrides and returns them (undefined when none are left). */
		async updateOverrides(userId: string, patch: BudgetOverridePatch): Promise<BudgetOverrideRecord | undefined> {
			const current = await store.budgets.find(userId);
			const next: BudgetOverrideRecord = {
				userId,
				dailyTokens: current?.dailyTokens ?? null,
				monthlyTokens: current?.monthlyTokens ?? null,
				dailyMicroUsd: current?.dailyMicroUsd ?? null,
				monthlyMicroUsd: current?.monthlyMicroUsd ?? null,
				updatedAt: now(),
			};
			for (const name of budgetLimitNames) {
				const value = patch[name];
				if (value === undefined) continue;
				const { field, measure } = budgetLimitParts[name];
				next[field] = value === null ? null : measure === "cost" ? microUsd(value) : value;
			}
			await store.budgets.put(next);
			const stored = [next.dailyTokens, next.monthlyTokens, next.dailyMicroUsd, next.monthlyMicroUsd].some(
				(limit) => limit !== null,
			)
				? next
				: undefined;
			remember(userId, stored);
			return stored;
		},
	};
}
