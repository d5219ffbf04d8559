import { z } from "zod";
import { errorCatalogue } from "../../errors.js";

export const identifier = z.string().min(1).max(100);
export const idParameters = z.strictObject({ id: identifier });

export const pageQuery = z.strictObject({
	limit: z.coerce.number().int().min(1).max(100).default(20).describe("Items per page, 1–100"),
	cursor: z.string().min(1).max(500).optional().describe("`next_cursor` of the previous page"),
});

export const timestamp = z.string().describe("ISO 8601 date-time (UTC)");
export const iso = (epochMilliseconds: number) => new Date(epochMilliseconds).toISOString();

export const usageSchema = z.object({
	prompt_tokens: z.number().int(),
	completion_tokens: z.number().int(),
	total_tokens: z.number().int(),
	estimated: z
		.boolean()
		.optional()
		.describe("True when the provider reported no usage and these are tokenizer estimates"),
	cost_usd: z
		.number()
		.nullable()
		.optional()
		.describe("What the call cost in USD at the price of the model that answered; null when that model has no price"),
});

export const problemSchema = z
	.object({
		type: z.string(),
		title: z.string(),
		status: z.number().int(),
		detail: z.string().optional(),
		code: z.enum(Object.keys(errorCatalogue) as [keyof typeof errorCatalogue, ...(keyof typeof errorCatalogue)[]]),
		request_id: z.string(),
		instance: z.string().optional(),
		errors: z.array(z.object({ location: z.string(), path: z.string(), message: z.string() })).optional(),
	})
	.describe("RFC 9457 problem details (application/problem+json)");

/** Problem responses documented on every route; the error handler produces them. */
export const problemResponses = (...statuses: number[]) =>
	Object.fromEntries(statuses.map((status) => [status, problemSchema])) as Record<number, typeof problemSchema>;

export const noContent = z.null().describe("No content");
