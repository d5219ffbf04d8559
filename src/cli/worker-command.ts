import Fastify, { type FastifyBaseLogger } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Config } from "../config.js";
import { registerErrorHandling } from "../http/error-handler.js";
import { opsRoutes } from "../http/routes/ops-routes.js";
import { createRuntime } from "../runtime.js";

/**
 * `parley worker`: answers queued questions (BullMQ, or the embedded queue of a shared database)
 * without serving the API. It listens on HOST:PORT for orchestrators only: GET /v1/health,
 * GET /v1/ready and GET /metrics. Resolves with the exit code once SIGTERM or SIGINT has let the
 * running jobs finish.
 */
export async function workerCommand(config: Config): Promise<number> {
	const runtime = await createRuntime(config, { role: "worker" });
	const { logger, store, models, metrics, readiness } = runtime.dependencies;
	const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, disableRequestLogging: true });
	app.setValidatorCompiler(validatorCompiler);
	app.setSerializerCompiler(serializerCompiler);
	registerErrorHandling(app);
	await app.register(opsRoutes({ store, models, readiness, metrics: config.metricsEnabled ? metrics : undefined }));
	try {
		await app.listen({ host: config.host, port: config.port });
	} catch (error) {
		await runtime.close();
		throw error;
	}
	logger.info(
		{ url: `http://${config.host}:${config.port}`, queue: config.queue.backend, concurrency: config.queue.concurrency },
		"Parley worker is listening",
	);
	return new Promise<number>((resolve) => {
		let stopping = false;
		const stop = (signal: string) => {
			if (stopping) return;
			stopping = true;
			logger.info({ signal }, "worker shutting down: finishing running jobs");
			const deadline = setTimeout(() => resolve(1), 25_000);
			deadline.unref();
			app
				.close()
				.then(() => runtime.close())
				.then(
					() => resolve(0),
					(error: unknown) => {
						logger.error({ err: error }, "worker shutdown failed");
						resolve(1);
					},
				);
		};
		process.on("SIGTERM", () => stop("SIGTERM"));
		process.on("SIGINT", () => stop("SIGINT"));
	});
}
