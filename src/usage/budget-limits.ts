import type { BudgetWindow } from "./usage-windows.js";

/** The four limits every user has; 0 means unlimited. Dollars are held as micro-dollars. */
export interface BudgetLimits {
	dailyTokens: number;
	monthlyTokens: number;
	dailyMicroUsd: number;
	monthlyMicroUsd: number;
}

/** Limits as configured and as the API shows them (snake_case, dollars). */
export interface BudgetSettings {
	daily_tokens?: number | undefined;
	monthly_tokens?: number | undefined;
	daily_usd?: number | undefined;
	monthly_usd?: number | undefined;
}

export type BudgetLimitName = "daily_tokens" | "monthly_tokens" | "daily_usd" | "monthly_usd";

export const budgetLimitNames: readonly BudgetLimitName[] = [
	"daily_tokens",
	"monthly_tokens",
	"daily_usd",
	"monthly_usd",
];

/** Where each limit lives in BudgetLimits, which window it counts in, and what it measures. */
export const budgetLimitParts: Record<
	BudgetLimitName,
	{ field: keyof BudgetLimits; window: BudgetWindow; measure: "tokens" | "cost" }
> = {
	daily_tokens: { field: "dailyTokens", window: "day", measure: "tokens" },
	monthly_tokens: { field: "monthlyTokens", window: "month", measure: "tokens" },
	daily_usd: { field: "dailyMicroUsd", window: "day", measure: "cost" },
	monthly_usd: { field: "monthlyMicroUsd", window: "month", measure: "cost" },
};

export const microUsd = (usd: number): number => Math.round(usd * 1_000_000);
export const usd = (micro: number): number => micro / 1_000_000;

export const isUnlimited = (limits: BudgetLimits): boolean =>
	limits.dailyTokens === 0 && limits.monthlyTokens === 0 && limits.dailyMicroUsd === 0 && limits.monthlyMicroUsd === 0;

/**
 * A user's limits from their roles: BUDGET_* defaults, replaced limit by limit by the
 * BUDGETS_BY_ROLE entries of the user's roles. When several of a user's roles set the same limit,
 * the most generous wins (0, unlimited, beats any number), so adding a role never tightens a budget.
 */
export function createRoleLimits(settings: {
	defaults: BudgetSettings;
	byRole: Readonly<Record<string, BudgetSettings>>;
}) {
	const memo = new Map<string, BudgetLimits>();

	function compute(roles: readonly string[]): BudgetLimits {
		const limits = toLimits(settings.defaults);
		for (const name of budgetLimitNames) {
			const values = roles
				.map((role) => settings.byRole[role]?.[name])
				.filter((value): value is number => value !== undefined);
			if (values.length === 0) continue;
			const generous = values.includes(0) ? 0 : Math.max(...values);
			limits[budgetLimitParts[name].field] = budgetLimitParts[name].measure === "cost" ? microUsd(generous) : generous;
		}
		return limits;
	}

	return (roles: readonly string[]): BudgetLimits => {
		const key = roles.join("\n");
		let limits = memo.get(key);
		if (limits === undefined) {
			limits = compute(roles);
			// Role sets are few; the bound only guards against pathological external tokens.
			if (memo.size < 1000) memo.set(key, limits);
		}
		return limits;
	};
}

function toLimits(settings: BudgetSettings): BudgetLimits {
	return {
		dailyTokens: settings.daily_tokens ?? 0,
		monthlyTokens: settings.monthly_tokens ?? 0,
		dailyMicroUsd: microUsd(settings.daily_usd ?? 0),
		monthlyMicroUsd: microUsd(settings.monthly_usd ?? 0),
	};
}
