import cors from "@fastify/cors";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Logger } from "pino";
import type { ApiKeyService } from "./auth/api-keys.js";
import type { AuthService } from "./auth/auth-service.js";
import type { Authenticator } from "./auth/authenticator.js";
import type { SigningKeys } from "./auth/signing-keys.js";
import type { ChatService } from "./chat/chat-service.js";
import type { CompletionsService } from "./chat/completions-service.js";
import type { ConversationService } from "./chat/conversation-service.js";
import type { PromptLog } from "./chat/prompt-log.js";
import type { Config } from "./config.js";
import { registerAuthentication } from "./http/authentication.js";
import { answerClientError, registerErrorHandling } from "./http/error-handler.js";
import { registerIdempotency } from "./http/idempotency.js";
import { registerOpenApi } from "./http/openapi.js";
import { registerRateLimiting } from "./http/rate-limiting.js";
import { requestIdFor } from "./http/request-id.js";
import { authRoutes } from "./http/routes/auth-routes.js";
import { chatRoutes } from "./http/routes/chat-routes.js";
import { conversationRoutes } from "./http/routes/conversation-routes.js";
import { documentRoutes } from "./http/routes/document-routes.js";
import { eventRoutes } from "./http/routes/event-routes.js";
import { memoryRoutes } from "./http/routes/memory-routes.js";
import { openAiRoutes } from "./http/routes/openai-routes.js";
import { opsRoutes } from "./http/routes/ops-routes.js";
import { promptRoutes } from "./http/routes/prompt-routes.js";
import { providerKeyRoutes } from "./http/routes/provider-key-routes.js";
import { questionRoutes } from "./http/routes/question-routes.js";
import { usageRoutes } from "./http/routes/usage-routes.js";
import { userRoutes } from "./http/routes/user-routes.js";
import { webhookRoutes } from "./http/routes/webhook-routes.js";
import { routingHeaderNames } from "./http/routing-headers.js";
import type { ModelRouter } from "./llm/model-router.js";
import type { MemoryService } from "./memory/memory-service.js";
import type { Notifier } from "./notify/notifier-port.js";
import type { Metrics } from "./observability/metrics.js";
import type { ReadinessCheck } from "./observability/readiness.js";
import type { ProviderKeyService } from "./provider-keys/provider-key-service.js";
import type { QuestionService } from "./questions/question-service.js";
import type { DocumentService } from "./rag/document-service-types.js";
import type { RateLimitStore } from "./ratelimit/rate-limit-port.js";
import { createRateLimitPolicy } from "./ratelimit/rate-limit-rules.js";
import type { IdempotencyRepository } from "./store/idempotency-port.js";
import type { Store } from "./store/store-port.js";
import type { UsageService } from "./usage/usage-service.js";
import type { UserService } from "./users/user-service.js";
import type { WebhookDispatcher } from "./webhooks/webhook-dispatcher.js";
import type { WebhookService } from "./webhooks/webhook-service.js";
import { liveSocketRoutes } from "./ws/live-socket-routes.js";

/** Everything the HTTP app needs, built by runtime.ts (or by a test). */
export interface AppDependencies {
	config: Config;
	logger: Logger;
	metrics: Metrics;
	store: Store;
	models: ModelRouter;
	signingKeys: SigningKeys;
	authenticator: Authenticator;
	auth: AuthService;
	users: UserService;
	apiKeys: ApiKeyService;
	providerKeys: ProviderKeyService;
	chat: ChatService;
	prompts: PromptLog;
	conversations: ConversationService;
	completions: CompletionsService;
	memory: MemoryService;
	documents: DocumentService;
	/** Async questions (POST /v1/questions). */
	questions: QuestionService;
	/** Live events to users' WebSocket and SSE connections: in-process, or Redis pub/sub. */
	notifier: Notifier;
	/** Counters of the rate limits: in-process, or Redis when REDIS_URL is set. */
	rateLimits: RateLimitStore;
	/** Idempotency-Key records: the store's table, or Redis when REDIS_URL is set. */
	idempotencyRecords: IdempotencyRepository;
	usage: UsageService;
	/** Users' webhooks, and the delivery of live events to them. */
	webhooks: WebhookService;
	webhookDispatcher: WebhookDispatcher;
	/** Dependencies /v1/ready reports beyond storage and models (Redis, the queue). */
	readiness: ReadinessCheck[];
}

/**
 * Observes request durations through histogram children bound once per (method, route, status):
 * prom-client hashes a label object on every plain observe() call.
 */
function createDurationObserver(metrics: Metrics) {
	const children = new Map<string, ReturnType<Metrics["httpRequestDuration"]["labels"]>>();
	return (method: string, route: string, status: number, seconds: number) => {
		const key = `${method} ${status} ${route}`;
		let child = children.get(key);
		if (child === undefined) {
			child = metrics.httpRequestDuration.labels(method, route, String(status));
			children.set(key, child);
		}
		child.observe(seconds);
	};
}

/** Builds the Fastify app from explicit dependencies; it does not listen (server.ts does). */
export async function buildApp(dependencies: AppDependencies): Promise<FastifyInstance> {
	const { config, metrics } = dependencies;
	const app = Fastify({
		loggerInstance: dependencies.logger as FastifyBaseLogger,
		// One line per request, written by the onResponse hook below, instead of Fastify's two.
		logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "request_id" }),
		genReqId: requestIdFor,
		bodyLimit: config.bodyLimitBytes,
		trustProxy: config.trustProxy,
		routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
		return503OnClosing: true,
		clientErrorHandler: answerClientError,
	});

	app.setValidatorCompiler(validatorCompiler);
	app.setSerializerCompiler(serializerCompiler);
	registerErrorHandling(app);

	// Callback-style hooks: an async hook costs a promise per request on every route.
	app.addHook("onRequest", (request, reply, done) => {
		reply.header("x-request-id", request.id);
		done();
	});
	// Once closing, responses ask clients to drop their keep-alive connections: a connection left
	// idle after the last in-flight response would otherwise hold the server's close open.
	let closing = false;
	app.addHook("preClose", (done) => {
		closing = true;
		done();
	});
	app.addHook("onSend", (_request, reply, payload, done) => {
		if (closing) reply.header("connection", "close");
		done(null, payload);
	});
	const observeDuration = createDurationObserver(metrics);
	app.addHook("onResponse", (request, reply, done) => {
		const route = request.routeOptions.url ?? "unmatched";
		const status = reply.statusCode;
		const elapsed = reply.elapsedTime;
		observeDuration(request.method, route, status, elapsed / 1000);
		request.log.info(
			{
				user_id: request.principal?.userId,
				method: request.method,
				route,
				status,
				latency_ms: Math.round(elapsed * 100) / 100,
			},
			"request completed",
		);
		done();
	});

	if (config.cors.origins.length > 0) {
		await app.register(cors, {
			origin: config.cors.origins.includes("*") ? "*" : config.cors.origins,
			credentials: config.cors.credentials,
			exposedHeaders: [
				"x-request-id",
				"retry-after",
				...routingHeaderNames,
				"ratelimit",
				"ratelimit-policy",
				"idempotent-replayed",
				"location",
			],
		});
	}
	registerAuthentication(app, {
		authenticator: dependencies.authenticator,
		devIdentity: config.auth.devLogin && !config.auth.requireApiKey,
	});
	if (config.rateLimits.enabled) {
		registerRateLimiting(app, {
			store: dependencies.rateLimits,
			policy: createRateLimitPolicy({ perMinute: config.rateLimits.perMinute, rules: config.rateLimits.rules }),
			authenticationPerMinute: config.rateLimits.authenticationPerMinute,
			failureMode: config.rateLimits.failureMode,
			metrics,
		});
	}
	registerIdempotency(app, {
		records: dependencies.idempotencyRecords,
		ttlMs: config.idempotency.ttlMs,
		lockMs: config.idempotency.lockMs,
		metrics,
	});
	await registerOpenApi(app, { publicUrl: config.publicUrl });

	await app.register(
		opsRoutes({
			store: dependencies.store,
			models: dependencies.models,
			readiness: dependencies.readiness,
			metrics: config.metricsEnabled ? metrics : undefined,
		}),
	);
	await app.register(authRoutes({ auth: dependencies.auth, signingKeys: dependencies.signingKeys }));
	await app.register(
		userRoutes({
			users: dependencies.users,
			apiKeys: dependencies.apiKeys,
			models: dependencies.models,
			providerKeys: dependencies.providerKeys,
		}),
	);
	await app.register(providerKeyRoutes({ providerKeys: dependencies.providerKeys }));
	await app.register(chatRoutes({ chat: dependencies.chat, users: dependencies.users }));
	await app.register(
		promptRoutes({ chat: dependencies.chat, prompts: dependencies.prompts, notifier: dependencies.notifier }),
	);
	await app.register(questionRoutes({ questions: dependencies.questions }));
	const live = { authenticator: dependencies.authenticator, notifier: dependencies.notifier, metrics };
	await app.register(eventRoutes(live));
	await app.register(liveSocketRoutes(live));
	await app.register(webhookRoutes({ webhooks: dependencies.webhooks, dispatcher: dependencies.webhookDispatcher }));
	await app.register(conversationRoutes({ conversations: dependencies.conversations }));
	await app.register(usageRoutes({ usage: dependencies.usage }));
	await app.register(memoryRoutes({ memory: dependencies.memory }));
	await app.register(openAiRoutes({ completions: dependencies.completions, models: dependencies.models }));
	await app.register(
		documentRoutes({
			documents: dependencies.documents,
			maxDocumentBytes: config.documents.maxBytes,
			notifier: dependencies.notifier,
		}),
	);
	return app;
}
