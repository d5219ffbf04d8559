import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ModelRouter } from "../../llm/model-router.js";
import type { Metrics } from "../../observability/metrics.js";
import type { ReadinessCheck } from "../../observability/readiness.js";
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
	checks: z.record(
		z.string(),
		z.object({
			status: z.enum(["ok", "failing"]),
			required: z.boolean().describe("Whether a failure makes the process not ready"),
			detail: z.string().optional(),
		}),
	),
});

type Checks = z.infer<typeof readinessResponse>["checks"];

async function runCheck(checks: Checks, name: string, required: boolean, check: () => Promise<string | undefined>) {
	try {
		const detail = await check();
		checks[name] = detail === undefined ? { status: "ok", required } : { status: "ok", required, detail };
	} catch (error) {
		checks[name] = { status: "failing", required, detail: (error as Error).message };
	}
}

export function opsRoutes(dependencies: {
	store: Store;
	models: ModelRouter;
	/** Further dependencies: Redis and the question queue (runtime.ts). */
	readiness?: ReadinessCheck[] | undefined;
	metrics: Metrics | undefined;
}): FastifyPluginAsyncZod {
	const { store, models, metrics } = dependencies;
	const readiness = dependencies.readiness ?? [];
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
					summary: "Readiness: each dependency, and whether this process can serve",
					description:
						"One check per dependency: `storage`, `redis` (when REDIS_URL is set), `queue`, each configured " +
						"`provider:<name>` and `default_model`. 503 while a required one fails; `checks` says which. A " +
						"provider whose circuit is open is reported (in `detail`), not failed: fallbacks may still answer.",
					response: { 200: readinessResponse, 503: readinessResponse },
				},
			},
			async (_request, reply) => {
				const checks: Checks = {};
				await runCheck(checks, "storage", true, async () => {
					await store.ping();
					return store.capabilities.backend;
				});
				await Promise.all(readiness.map((item) => runCheck(checks, item.name, item.required, item.check)));
				for (const provider of models.providerStatus()) {
					if (provider.configured) {
						checks[`provider:${provider.provider}`] = {
							status: "ok",
							required: false,
							detail: `circuit ${provider.circuit}`,
						};
					}
				}
				await runCheck(checks, "default_model", true, async () => {
					models.resolve(undefined);
					return undefined;
				});
				const ready = Object.values(checks).every((check) => check.status === "ok" || !check.required);
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
