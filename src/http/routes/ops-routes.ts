import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ModelRouter } from "../../llm/model-router.js";
import type { Metrics } from "../../observability/metrics.js";
import type { Store } from "../../store/store-port.js";
import { version } from "../../version.js";
import { timestamp } from "../schemas/common.js";

const healthResponse = z.object({
	status: z.literal("ok"),
	version: z.string(),
	timestamp,
	uptime: z.number().describe("Seconds since the process started"),
});

const readinessResponse = z.object({
	status: z.enum(["ready", "not_ready"]),
	checks: z.record(z.string(), z.object({ status: z.enum(["ok", "failing"]), detail: z.string().optional() })),
});

export function opsRoutes(dependencies: {
	store: Store;
	models: ModelRouter;
	metrics: Metrics | undefined;
}): FastifyPluginAsyncZod {
	const { store, models, metrics } = dependencies;
	return async (app) => {
		const publicRoute = { access: "public" as const };

		app.get(
			"/v1/health",
			{
				config: publicRoute,
				schema: { tags: ["operations"], summary: "Liveness: the process answers", response: { 200: healthResponse } },
			},
			async () => ({
				status: "ok" as const,
				version,
				timestamp: new Date().toISOString(),
				uptime: Math.round(process.uptime() * 1000) / 1000,
			}),
		);

		app.get(
			"/v1/ready",
			{
				config: publicRoute,
				schema: {
					tags: ["operations"],
					summary: "Readiness: storage answers and the default model provider is configured",
					description:
						"503 while a dependency fails; `checks` says which. A provider whose circuit is open is reported, not failed.",
					response: { 200: readinessResponse, 503: readinessResponse },
				},
			},
			async (_request, reply) => {
				const checks: z.infer<typeof readinessResponse>["checks"] = {};
				try {
					await store.ping();
					checks.storage = { status: "ok", detail: store.capabilities.backend };
				} catch (error) {
					checks.storage = { status: "failing", detail: (error as Error).message };
				}
				for (const provider of models.providerStatus()) {
					if (provider.configured)
						checks[`provider:${provider.provider}`] = { status: "ok", detail: `circuit ${provider.circuit}` };
				}
				try {
					models.resolve(undefined);
					checks.default_model = { status: "ok" };
				} catch (error) {
					checks.default_model = { status: "failing", detail: (error as Error).message };
				}
				const ready = Object.values(checks).every((check) => check.status === "ok");
				return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "not_ready", checks });
			},
		);

		if (metrics) {
			app.get(
				"/metrics",
				{
					config: publicRoute,
					schema: { tags: ["operations"], summary: "Prometheus metrics", produces: ["text/plain"] },
				},
				async (_request, reply) =>
					reply
						.type(metrics.registry.contentType)
						.serializer(String)
						.send(await metrics.registry.metrics()),
			);
		}
	};
}
