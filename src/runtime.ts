import type { DestinationStream } from "pino";
import type { AppDependencies } from "./app.js";
import { createAccessTokens } from "./auth/access-tokens.js";
import { createApiKeyService } from "./auth/api-keys.js";
import { createAuthService } from "./auth/auth-service.js";
import { createAuthenticator } from "./auth/authenticator.js";
import { createExternalTokens } from "./auth/external-tokens.js";
import { createPasswordHasher } from "./auth/passwords.js";
import { createServiceKeys } from "./auth/service-keys.js";
import { loadSigningKeys } from "./auth/signing-keys.js";
import { createKeyValueCache } from "./cache/create-key-value-cache.js";
import { createResponseCache } from "./cache/response-cache.js";
import { createChatService } from "./chat/chat-service.js";
import { createCompletionsService } from "./chat/completions-service.js";
import { createConversationService } from "./chat/conversation-service.js";
import { createGrounding } from "./chat/grounding.js";
import { createPromptLog } from "./chat/prompt-log.js";
import type { Config } from "./config.js";
import { createRedisIdempotencyRecords } from "./idempotency/redis-idempotency-records.js";
import type { LanguageModelAdapter } from "./llm/model-port.js";
import { createModelRouter } from "./llm/model-router.js";
import { createMemoryModelSource, memoryModelReferences } from "./memory/memory-model.js";
import { createMemoryService } from "./memory/memory-service.js";
import { createLogger } from "./observability/logger.js";
import { createMetrics } from "./observability/metrics.js";
import type { ReadinessCheck } from "./observability/readiness.js";
import { withinTime } from "./observability/readiness.js";
import { createKeyWrapper } from "./provider-keys/key-wrapper-selection.js";
import { createProviderKeyService } from "./provider-keys/provider-key-service.js";
import { createQuestionParts } from "./questions/question-runtime.js";
import { createEmbedder } from "./rag/create-embedder.js";
import { seedDemoKnowledge } from "./rag/demo-knowledge/seed-demo-knowledge.js";
import { createDocumentService } from "./rag/document-service.js";
import { operatorPrincipal } from "./rag/operator-principal.js";
import { cacheTermStatistics } from "./rag/term-statistics-cache.js";
import { createRateLimitStore } from "./ratelimit/create-rate-limit-store.js";
import { createRedisConnection } from "./redis/redis-connection.js";
import { createStore } from "./store/create-store.js";
import { createBudgetService } from "./usage/budget-service.js";
import { createPriceTable } from "./usage/price-table.js";
import { createUsageMeter } from "./usage/usage-meter.js";
import { createUsageService } from "./usage/usage-service.js";
import { createUserService } from "./users/user-service.js";
import { createWebhookDispatcher } from "./webhooks/webhook-dispatcher.js";
import { createWebhookHttp } from "./webhooks/webhook-http.js";
import { createWebhookService } from "./webhooks/webhook-service.js";

export interface Runtime {
	dependencies: AppDependencies;
	/** Releases connections and pools; the app must be closed first. */
	close(): Promise<void>;
}

export interface RuntimeOverrides {
	logDestination?: DestinationStream | undefined;
	/** Replace provider adapters (tests). */
	adapters?: Map<string, LanguageModelAdapter> | undefined;
	/** "worker" (`parley worker`) always works the question queue; "api" only per QUEUE_BACKEND/WORKER_IN_PROCESS. */
	role?: "api" | "worker" | undefined;
}

/** The composition root: every service built once, from the validated configuration. */
export async function createRuntime(config: Config, overrides: RuntimeOverrides = {}): Promise<Runtime> {
	const logger = createLogger({ level: config.logLevel, destination: overrides.logDestination });
	const metrics = createMetrics();
	const store = await createStore(config.databaseUrl, { pool: config.databasePool });
	const redis = config.redis && createRedisConnection(config.redis.url, logger);
	const closeRedis = async () => {
		if (redis) await redis.quit().catch(() => redis.disconnect());
	};
	try {
		await store.migrate();
		const signingKeys = await loadSigningKeys({
			algorithm: config.auth.signingAlgorithm,
			configuredKey: config.auth.signingKey,
			dataDirectory: config.dataDirectory,
		});
		const models = createModelRouter({ config: config.llm, metrics, adapters: overrides.adapters });
		const keyWrapper = await createKeyWrapper({ configured: config.providerKeys, dataDirectory: config.dataDirectory });
		const providerKeys = createProviderKeyService({
			store,
			wrapper: keyWrapper,
			required: config.providerKeys.required,
			serverOpenAiCompatibleBaseUrl: config.llm.openaiCompatible !== undefined,
			logger,
		});
		const users = createUserService({ store, adminEmails: config.auth.adminEmails });
		const accessTokens = createAccessTokens({
			keys: signingKeys,
			issuer: config.auth.tokenIssuer,
			audience: config.auth.tokenAudience,
			ttlSeconds: config.auth.accessTokenTtlSeconds,
		});
		const apiKeys = createApiKeyService({ store, users });
		const external = config.auth.external;
		const authenticator = createAuthenticator({
			accessTokens,
			externalTokens: external
				? createExternalTokens({ ...external, rolesClaim: config.auth.rolesClaim, users })
				: undefined,
			apiKeys,
			serviceKeys: createServiceKeys({ keys: config.auth.staticApiKeys, users }),
			requireApiKey: config.auth.requireApiKey,
		});
		const auth = createAuthService({
			store,
			users,
			accessTokens,
			passwords: createPasswordHasher(),
			refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
			devLogin: config.auth.devLogin,
		});
		const knowledgeEmbedder = createEmbedder(config, { termStatistics: cacheTermStatistics(store.knowledge) });
		const documents = createDocumentService({
			knowledge: store.knowledge,
			embedder: knowledgeEmbedder,
			chunking: { chunkTokens: config.retrieval.chunkTokens, overlapTokens: config.retrieval.chunkOverlapTokens },
			keywordWeight: config.retrieval.keywordWeight,
		});
		// The demo guides are for the embedded default's first start; a failure (a remote embedder
		// that is down) must not keep Parley from starting.
		if (config.documents.demoKnowledge && store.capabilities.backend === "sqlite") {
			await seedDemoKnowledge({
				documents,
				knowledge: store.knowledge,
				operator: async () => operatorPrincipal(await users.serviceAccount(), { admin: true }),
			}).catch((error: unknown) => logger.warn({ err: error }, "demo knowledge base not added"));
		}
		const memory = createMemoryService({
			store,
			embedder: createEmbedder(config),
			logger,
			...memoryModelReferences(models, config.memory.model),
			// Without a model source every extraction uses the rules: no extra model call per message.
			languageModelFor: config.memory.extraction === "model" ? createMemoryModelSource(config.llm) : undefined,
			modelCall: { maxRetries: config.llm.maxRetries, timeoutMs: config.llm.timeoutMs },
		});
		const grounding = createGrounding({
			knowledge: documents,
			memory,
			minimumSimilarity: config.retrieval.minimumSimilarity,
			onError: (error, part) => logger.warn({ err: error, part }, "answer not grounded: retrieval part failed"),
		});
		const responseCache =
			config.responseCache.mode === "off"
				? undefined
				: {
						mode: config.responseCache.mode,
						cache: createResponseCache({
							store: createKeyValueCache({
								kind: config.responseCache.store,
								maxEntries: config.responseCache.maxEntries,
								store,
								redis: redis && config.redis && { connection: redis, keyPrefix: config.redis.keyPrefix },
							}),
							ttlMs: config.responseCache.ttlMs,
							semanticThreshold: config.responseCache.semanticThreshold,
							// Without corpus statistics: a question's vector must not drift as documents arrive.
							embedder: createEmbedder(config),
							metrics,
							onError: (error) => logger.warn({ err: error }, "response cache unavailable"),
						}),
					};
		const topK = config.retrieval.topK;
		const budgets = createBudgetService({ store, settings: config.budgets });
		const meter = createUsageMeter({ store, budgets, prices: createPriceTable(config.llm.prices) });
		const chat = createChatService({
			store,
			models,
			usage: meter,
			grounding,
			memory: config.memory.extraction === "off" ? undefined : memory,
			providerKeys,
			defaultTopK: topK,
			responseCache,
		});
		const webhookPolicy = { allowedHosts: config.webhooks.allowedHosts };
		// Webhook secrets use the provider keys' envelope and master key: one key to keep and rotate.
		const webhooks = createWebhookService({ webhooks: store.webhooks, wrapper: keyWrapper, policy: webhookPolicy });
		const webhookDispatcher = createWebhookDispatcher({
			webhooks: store.webhooks,
			service: webhooks,
			http: createWebhookHttp({ policy: webhookPolicy, timeoutMs: config.webhooks.timeoutMs }),
			settings: config.webhooks,
			metrics,
			logger,
		});
		const questionParts = createQuestionParts({
			config,
			store,
			chat,
			models,
			metrics,
			logger,
			redis,
			runWorker: overrides.role === "worker" || config.queue.workerInProcess,
			providerKeys,
			onPublished: webhookDispatcher.dispatch,
		});
		if (redis) metrics.redisStatusSource.read = () => redis.status === "ready";
		const connectionPool = store.connectionPool?.bind(store);
		if (connectionPool) metrics.databasePoolSource.read = connectionPool;
		const readiness: ReadinessCheck[] = [
			{
				name: "queue",
				required: true,
				check: async () => {
					const counts = await withinTime(questionParts.queue.counts(), 2000, "the question queue");
					return `${questionParts.queue.backend}: ${counts.waiting} waiting, ${counts.active} active`;
				},
			},
		];
		if (redis) {
			readiness.unshift({
				name: "redis",
				required: true,
				check: async () => {
					await withinTime(redis.ping(), 2000, "Redis");
					return undefined;
				},
			});
		}
		const dependencies: AppDependencies = {
			readiness,
			webhooks,
			webhookDispatcher,
			config,
			logger,
			metrics,
			store,
			models,
			signingKeys,
			authenticator,
			auth,
			users,
			apiKeys,
			chat,
			questions: questionParts.questions,
			notifier: questionParts.notifier,
			conversations: createConversationService({ store }),
			completions: createCompletionsService({
				store,
				models,
				usage: meter,
				grounding,
				providerKeys,
				defaultTopK: topK,
				responseCache,
			}),
			usage: createUsageService({ store, budgets }),
			providerKeys,
			memory,
			documents,
			idempotencyRecords:
				redis && config.redis
					? createRedisIdempotencyRecords({ redis, keyPrefix: config.redis.keyPrefix })
					: store.idempotency,
			rateLimits: createRateLimitStore(
				redis && config.redis && { connection: redis, keyPrefix: config.redis.keyPrefix },
			),
			prompts: createPromptLog({
				store,
				documents,
				embedder: knowledgeEmbedder,
				keywordWeight: config.retrieval.keywordWeight,
			}),
		};
		return {
			dependencies,
			async close() {
				// Running question jobs finish (and store their outcome) before anything closes.
				await questionParts.close();
				// After the worker: its last answers' events are delivered (or their retries given up) first.
				await webhookDispatcher.close();
				// Memories being learnt from the last messages are written before the store closes.
				await memory.idle();
				await models.close();
				await dependencies.rateLimits.close();
				await closeRedis();
				await store.close();
			},
		};
	} catch (error) {
		await closeRedis();
		await store.close();
		throw error;
	}
}
