import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createRoleLimits } from "../../src/usage/budget-limits.js";
import { resolveUsageRange } from "../../src/usage/usage-range.js";
import { windowAt } from "../../src/usage/usage-windows.js";

describe("budget limits by role", () => {
	it("has no limits by default", () => {
		const limits = createRoleLimits(loadConfig({}).budgets);
		expect(limits(["user"])).toEqual({ dailyTokens: 0, monthlyTokens: 0, dailyMicroUsd: 0, monthlyMicroUsd: 0 });
	});

	it("takes BUDGET_* defaults, replaced limit by limit by the roles' entries, the most generous winning", () => {
		const config = loadConfig({
			BUDGET_DAILY_TOKENS: "1000",
			BUDGET_MONTHLY_USD: "5",
			BUDGETS_BY_ROLE:
				'{"admin":{"daily_tokens":0},"pro":{"daily_tokens":50000,"daily_usd":1.5},"team":{"daily_tokens":20000}}',
		});
		const limits = createRoleLimits(config.budgets);
		expect(limits(["user"])).toEqual({
			dailyTokens: 1000,
			monthlyTokens: 0,
			dailyMicroUsd: 0,
			monthlyMicroUsd: 5_000_000,
		});
		expect(limits(["user", "pro"])).toEqual({
			dailyTokens: 50000,
			monthlyTokens: 0,
			dailyMicroUsd: 1_500_000,
			monthlyMicroUsd: 5_000_000,
		});
		expect(limits(["user", "team", "pro"]).dailyTokens).toBe(50000);
		// 0 is unlimited, the most generous of all.
		expect(limits(["pro", "admin"]).dailyTokens).toBe(0);
	});

	it("refuses malformed budget settings with readable errors", () => {
		expect(() => loadConfig({ BUDGETS_BY_ROLE: "admin=0" })).toThrow(/BUDGETS_BY_ROLE: not valid JSON/);
		expect(() => loadConfig({ BUDGETS_BY_ROLE: '{"user":{"daily_tokens":1.5}}' })).toThrow(
			/BUDGETS_BY_ROLE\.user\.daily_tokens/,
		);
		expect(() => loadConfig({ BUDGETS_BY_ROLE: '{"user":{"weekly_tokens":1}}' })).toThrow(/weekly_tokens/);
		expect(() => loadConfig({ BUDGET_DAILY_USD: "-1" })).toThrow(/BUDGET_DAILY_USD/);
	});
});

describe("budget windows", () => {
	it("are the UTC day and calendar month", () => {
		const at = Date.UTC(2024, 1, 29, 23, 59, 59, 999);
		expect(windowAt("day", at)).toEqual({ start: Date.UTC(2024, 1, 29), end: Date.UTC(2024, 2, 1) });
		expect(windowAt("month", at)).toEqual({ start: Date.UTC(2024, 1, 1), end: Date.UTC(2024, 2, 1) });
		expect(windowAt("month", Date.UTC(2025, 11, 31, 12))).toEqual({
			start: Date.UTC(2025, 11, 1),
			end: Date.UTC(2026, 0, 1),
		});
	});
});

describe("usage report ranges", () => {
	const now = Date.UTC(2026, 10, 23, 20, 0);

	it("defaults to the last 30 days", () => {
		expect(resolveUsageRange({}, now)).toEqual({ from: now - 30 * 86_400_000, to: now });
	});

	it("reads dates as whole UTC days, `to` included, and date-times as instants", () => {
		expect(resolveUsageRange({ from: "2026-11-01", to: "2026-11-30" }, now)).toEqual({
			from: Date.UTC(2026, 10, 1),
			to: Date.UTC(2026, 11, 1),
		});
		expect(resolveUsageRange({ from: "2026-11-01T10:00:00+02:00", to: "2026-11-01T12:00:00Z" }, now)).toEqual({
			from: Date.UTC(2026, 10, 1, 8),
			to: Date.UTC(2026, 10, 1, 12),
		});
	});

	it("refuses reversed and over-long ranges", () => {
		expect(() => resolveUsageRange({ from: "2026-11-03", to: "2026-11-01" }, now)).toThrow(/must not be after/);
		// A date `to` includes its day, so the same date twice is that one day.
		expect(resolveUsageRange({ from: "2026-11-01", to: "2026-11-01" }, now)).toEqual({
			from: Date.UTC(2026, 10, 1),
			to: Date.UTC(2026, 10, 2),
		});
		expect(() => resolveUsageRange({ from: "2024-01-01", to: "2024-12-31" }, now)).not.toThrow();
		expect(() => resolveUsageRange({ from: "2024-01-01", to: "2025-01-01" }, now)).toThrow(/at most 366 days/);
	});
});
