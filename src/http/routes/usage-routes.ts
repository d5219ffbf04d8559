import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { resolveUsageRange, usageRangeDescription } from "../../usage/usage-range.js";
import type { UsageService } from "../../usage/usage-service.js";
import { principalOf } from "../authentication.js";
import { idParameters, problemResponses } from "../schemas/common.js";
import {
	adminUsageQuery,
	adminUsageResponse,
	budgetPatchBody,
	budgetResponse,
	usageQuery,
	usageResponse,
} from "../schemas/usage-schemas.js";
import {
	budgetRepresentation,
	budgetStatusRepresentation,
	usageReportRepresentation,
} from "../usage-representations.js";

export function usageRoutes(dependencies: { usage: UsageService; now?: () => number }): FastifyPluginAsyncZod {
	const { usage } = dependencies;
	const now = dependencies.now ?? Date.now;
	return async (app) => {
		app.get(
			"/v1/usage",
			{
				schema: {
					tags: ["usage"],
					summary: "Your token use and cost, with your budget",
					description: `Totals and buckets of your model calls (every endpoint), by UTC day or by model. ${usageRangeDescription} \`budget\` shows your daily and monthly limits, what you used of them and when they reset; a call made once a limit is reached gets 429 \`budget_exceeded\`.`,
					querystring: usageQuery,
					response: { 200: usageResponse, ...problemResponses(400, 401) },
				},
			},
			async (request) => {
				const principal = principalOf(request);
				const { group_by: groupBy, ...bounds } = request.query;
				const range = resolveUsageRange(bounds, now());
				const [report, status] = await Promise.all([
					usage.report(principal.userId, range, groupBy),
					usage.budgetStatus(principal.userId, principal.roles),
				]);
				return { group_by: groupBy, ...usageReportRepresentation(report), budget: budgetStatusRepresentation(status) };
			},
		);

		app.get(
			"/v1/admin/usage",
			{
				config: { access: "admin" },
				schema: {
					tags: ["admin"],
					summary: "Everyone's token use and cost (admins)",
					description: `Like GET /v1/usage across all users, also by user; \`user_id\` narrows it to one user. ${usageRangeDescription}`,
					querystring: adminUsageQuery,
					response: { 200: adminUsageResponse, ...problemResponses(400, 401, 403) },
				},
			},
			async (request) => {
				const { group_by: groupBy, user_id: userId, ...bounds } = request.query;
				const report = await usage.reportAll(resolveUsageRange(bounds, now()), groupBy, userId);
				return { group_by: groupBy, user_id: userId ?? null, ...usageReportRepresentation(report) };
			},
		);

		const budgetDescription =
			"A user's limits are the BUDGET_* defaults, replaced by BUDGETS_BY_ROLE for their roles, replaced limit by " +
			"limit by the overrides set here.";

		app.get(
			"/v1/admin/users/:id/budget",
			{
				config: { access: "admin" },
				schema: {
					tags: ["admin"],
					summary: "A user's budget overrides, limits and use (admins)",
					description: budgetDescription,
					params: idParameters,
					response: { 200: budgetResponse, ...problemResponses(401, 403, 404) },
				},
			},
			async (request) => budgetRepresentation(await usage.budgetOf(request.params.id)),
		);

		app.put(
			"/v1/admin/users/:id/budget",
			{
				config: { access: "admin" },
				schema: {
					tags: ["admin"],
					summary: "Set or clear a user's budget overrides (admins)",
					description: `${budgetDescription} Fields left out stay as they are. Applies at once in this process and within 30 seconds in others.`,
					params: idParameters,
					body: budgetPatchBody,
					response: { 200: budgetResponse, ...problemResponses(400, 401, 403, 404) },
				},
			},
			async (request) => budgetRepresentation(await usage.updateBudget(request.params.id, request.body)),
		);
	};
}
