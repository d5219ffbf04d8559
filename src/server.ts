import { buildApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { createRuntime } from "./runtime.js";

/** Bootstrap: configuration, composition, listen, graceful shutdown. */
async function main(): Promise<void> {
	let config: ReturnType<typeof loadConfig>;
	let runtime: Awaited<ReturnType<typeof createRuntime>>;
	try {
		config = loadConfig();
		// Composition checks the settings that need the providers (LLM_FALLBACKS, MEMORY_MODEL).
		runtime = await createRuntime(config);
	} catch (error) {
		if (error instanceof ConfigError) {
			console.error(error.message);
			process.exit(78); // EX_CONFIG
		}
		throw error;
	}
	const app = await buildApp(runtime.dependencies);
	const logger = runtime.dependencies.logger;

	let closing = false;
	const shutdown = async (signal: string) => {
		if (closing) return;
		closing = true;
		logger.info({ signal }, "shutting down: draining in-flight requests");
		// A stuck drain must not keep the process alive forever under an orchestrator.
		const deadline = setTimeout(() => {
			logger.error("shutdown timed out; exiting");
			process.exit(1);
		}, 25_000);
		deadline.unref();
		try {
			await app.close();
			await runtime.close();
			process.exit(0);
		} catch (error) {
			logger.error({ err: error }, "shutdown failed");
			process.exit(1);
		}
	};
	process.on("SIGTERM", () => void shutdown("SIGTERM"));
	process.on("SIGINT", () => void shutdown("SIGINT"));

	await app.listen({ host: config.host, port: config.port });
	logger.info(
		{
			url: `http://${config.host}:${config.port}`,
			database: config.databaseUrl.split(":")[0],
			provider: config.llm.provider,
			default_model: config.llm.defaultModel,
			dev_login: config.auth.devLogin,
		},
		"Parley is listening",
	);
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
