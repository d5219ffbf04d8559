import type { BudgetOverrideRecord, UsageTotals } from "../store/usage-port.js";
import { type BudgetLimits, usd } from "../usage/budget-limits.js";
import type { BudgetWindowStatus, UsageReport } from "../usage/usage-service.js";
import { iso } from "./schemas/common.js";

/** Usage and budgets as the API shows them: dollars, not micro-dollars; null for "no limit". */

const totalsRepresentation = (totals: UsageTotals) => ({
	requests: totals.requests,
	prompt_tokens: totals.promptTokens,
	completion_tokens: totals.completionTokens,
	total_tokens: totals.totalTokens,
	cost_usd: usd(totals.costMicroUsd),
	unpriced_requests: totals.unpricedRequests,
	priced: totals.unpricedRequests === 0,
});

export const usageReportRepresentation = (report: UsageReport) => ({
	from: iso(report.range.from),
	to: iso(report.range.to),
	totals: totalsRepresentation(report.totals),
	buckets: report.buckets.map((bucket) => ({ key: bucket.key, ...totalsRepresentation(bucket) })),
});

const limitStatus = (limit: number, used: number, show: (value: number) => number) => ({
	limit: limit === 0 ? null : show(limit),
	used: show(used),
	remaining: limit === 0 ? null : show(Math.max(0, limit - used)),
});

const windowRepresentation = (status: BudgetWindowStatus) => ({
	starts_at: iso(status.start),
	resets_at: iso(status.end),
	tokens: limitStatus(status.tokens.limit, status.tokens.used, (tokens) => tokens),
	usd: limitStatus(status.microUsd.limit, status.microUsd.used, usd),
});

export const budgetStatusRepresentation = (status: { day: BudgetWindowStatus; month: BudgetWindowStatus }) => ({
	day: windowRepresentation(status.day),
	month: windowRepresentation(status.month),
});

const orNull = <T>(value: T | null, show: (value: T) => number) => (value === null ? null : show(value));
const noLimitAsNull = (value: number) => (value === 0 ? null : value);

export const budgetRepresentation = (budget: {
	userId: string;
	overrides: BudgetOverrideRecord | undefined;
	status: { limits: BudgetLimits; day: BudgetWindowStatus; month: BudgetWindowStatus };
}) => {
	const { overrides, status } = budget;
	const { limits } = status;
	return {
		user_id: budget.userId,
		overrides: {
			daily_tokens: overrides?.dailyTokens ?? null,
			monthly_tokens: overrides?.monthlyTokens ?? null,
			daily_usd: orNull(overrides?.dailyMicroUsd ?? null, usd),
			monthly_usd: orNull(overrides?.monthlyMicroUsd ?? null, usd),
		},
		effective: {
			daily_tokens: noLimitAsNull(limits.dailyTokens),
			monthly_tokens: noLimitAsNull(limits.monthlyTokens),
			daily_usd: noLimitAsNull(usd(limits.dailyMicroUsd)),
			monthly_usd: noLimitAsNull(usd(limits.monthlyMicroUsd)),
		},
		updated_at: overrides === undefined ? null : iso(overrides.updatedAt),
		budget: budgetStatusRepresentation(status),
	};
};
