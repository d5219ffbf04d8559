import { z } from "zod";
import { identifier, timestamp } from "./common.js";

const dateOrDateTime = z
	.union([z.iso.date(), z.iso.datetime({ offset: true })])
	.describe("ISO date (a whole UTC day) or date-time with offset");

const rangeFields = {
	from: dateOrDateTime.optional().describe("Start, inclusive (default: 30 days before `to`)"),
	to: dateOrDateTime.optional().describe("End, exclusive for a date-time, inclusive for a date (default: now)"),
};

export const usageQuery = z.strictObject({
	...rangeFields,
	group_by: z.enum(["day", "model"]).default("day").describe("Buckets per UTC day or per model"),
});

export const adminUsageQuery = z.strictObject({
	...rangeFields,
	group_by: z.enum(["day", "model", "user"]).default("day").describe("Buckets per UTC day, per model or per user"),
	user_id: identifier.optional().describe("Only this user's calls"),
});

const usageTotals = {
	requests: z.number().int(),
	prompt_tokens: z.number().int(),
	completion_tokens: z.number().int(),
	total_tokens: z.number().int(),
	cost_usd: z.number().describe("Cost of the priced calls, at the prices that applied when they were made"),
	unpriced_requests: z.number().int().describe("Calls to models without a price; they count as costing 0"),
	priced: z.boolean().describe("False when some calls had no price, so cost_usd is a lower bound"),
};

const usageBucket = z.object({
	key: z.string().describe("The UTC date (YYYY-MM-DD), the model id or the user id, by group_by"),
	...usageTotals,
});

const limitStatus = z.object({
	limit: z.number().nullable().describe("null: no limit"),
	used: z.number(),
	remaining: z.number().nullable().describe("null: no limit; 0 once the limit is reached"),
});

const windowStatus = z.object({
	starts_at: timestamp,
	resets_at: timestamp,
	tokens: limitStatus,
	usd: limitStatus,
});

export const budgetStatusSchema = z
	.object({ day: windowStatus, month: windowStatus })
	.describe("Your limits in the current UTC day and month, and what you used of them");

const reportFields = {
	from: timestamp,
	to: timestamp,
	totals: z.object(usageTotals),
	buckets: z.array(usageBucket),
};

export const usageResponse = z
	.object({ group_by: z.enum(["day", "model"]), ...reportFields, budget: budgetStatusSchema })
	.meta({
		examples: [
			{
				group_by: "model",
				from: "2026-10-24T20:00:00.000Z",
				to: "2026-11-23T20:00:00.000Z",
				totals: {
					requests: 3,
					prompt_tokens: 1200,
					completion_tokens: 300,
					total_tokens: 1500,
					cost_usd: 0.00036,
					unpriced_requests: 0,
					priced: true,
				},
				buckets: [
					{
						key: "openai/gpt-4o-mini",
						requests: 3,
						prompt_tokens: 1200,
						completion_tokens: 300,
						total_tokens: 1500,
						cost_usd: 0.00036,
						unpriced_requests: 0,
						priced: true,
					},
				],
				budget: {
					day: {
						starts_at: "2026-11-23T00:00:00.000Z",
						resets_at: "2026-11-24T00:00:00.000Z",
						tokens: { limit: 200000, used: 1500, remaining: 198500 },
						usd: { limit: null, used: 0.00036, remaining: null },
					},
					month: {
						starts_at: "2026-11-01T00:00:00.000Z",
						resets_at: "2026-12-01T00:00:00.000Z",
						tokens: { limit: null, used: 1500, remaining: null },
						usd: { limit: 5, used: 0.00036, remaining: 4.99964 },
					},
				},
			},
		],
	});

export const adminUsageResponse = z.object({
	group_by: z.enum(["day", "model", "user"]),
	user_id: z.string().nullable(),
	...reportFields,
});

const limitValues = {
	daily_tokens: z.number().int().nullable(),
	monthly_tokens: z.number().int().nullable(),
	daily_usd: z.number().nullable(),
	monthly_usd: z.number().nullable(),
};

export const budgetResponse = z.object({
	user_id: z.string(),
	overrides: z.object(limitValues).describe("Limits set for this user; null: the role's default applies. 0: unlimited"),
	effective: z.object(limitValues).describe("The limits that apply; null: no limit"),
	updated_at: timestamp.nullable().describe("When the overrides last changed; null when there are none"),
	budget: budgetStatusSchema,
});

const tokenLimit = z.number().int().min(0).max(1_000_000_000_000).nullable().optional();
const usdLimit = z.number().min(0).max(1_000_000).nullable().optional();

export const budgetPatchBody = z
	.strictObject({ daily_tokens: tokenLimit, monthly_tokens: tokenLimit, daily_usd: usdLimit, monthly_usd: usdLimit })
	.describe(
		"A number sets the limit (0: unlimited for this user), null returns it to the role's default, absent leaves it",
	)
	.meta({ examples: [{ daily_tokens: 50000, monthly_usd: 2.5 }, { daily_tokens: null }] });
