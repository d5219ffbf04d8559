import type { FastifyInstance } from "fastify";
import { buildApp } from "../app.js";
import { type Config, loadConfig } from "../config.js";
import { createRuntime, type Runtime } from "../runtime.js";
import { withSecretEnvironment } from "./secret-environment.js";

/**
 * The composition root for AWS Lambda, built on the first invocation and reused by every warm
 * one: importing a handler does no work, so the init phase only loads modules, and a bad
 * configuration fails the invocation with its readable message instead of the whole sandbox.
 */

export interface LambdaParts {
	config: Config;
	runtime: Runtime;
	app: FastifyInstance;
}

let parts: Promise<LambdaParts> | undefined;

export function lambdaParts(environment: NodeJS.ProcessEnv = process.env): Promise<LambdaParts> {
	parts ??= (async () => {
		const config = loadConfig(await withSecretEnvironment(environment));
		const runtime = await createRuntime(config);
		const app = await buildApp(runtime.dependencies);
		await app.ready();
		return { config, runtime, app };
	})().catch((error: unknown) => {
		// The next invocation tries again (a dependency may have been down).
		parts = undefined;
		throw error;
	});
	return parts;
}

/** Tests only: closes the cached parts so the next invocation builds them afresh. */
export async function resetLambdaParts(): Promise<void> {
	const current = parts;
	parts = undefined;
	if (current === undefined) return;
	const { app, runtime } = await current;
	await app.close();
	await runtime.close();
}
