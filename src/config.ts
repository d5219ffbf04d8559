import path from "node:path";
import { z } from "zod";
import { signingJwkFromSeed, signingKeySeedPattern } from "./auth/signing-key-seed.js";
import {
	kmsKeyIdSetting,
	masterKeyIdSetting,
	masterKeySetting,
	previousMasterKeysSetting,
} from "./provider-keys/master-key-settings.js";
import { derivedKeyId } from "./provider-keys/master-key-text.js";
import {
	defaultEmbeddingModel,
	type EmbedderName,
	embedderNames,
	knownEmbeddingDimensions,
} from "./rag/embedding-defaults.js";
import { defaultRuleText, parseRateLimitRules } from "./ratelimit/rate-limit-rules.js";

/**
 * The whole environment Parley reads, validated once at start-up.
 * Each setting: explicit option (the `overrides` argument), else the environment variable,
 * else the embedded default. README's configuration table lists the same variables.
 */

export const llmProviderNames = [
	"openai",
	"openrouter",
	"gemini",
	"bedrock",
	"anthropic",
	"openai-compatible",
	"mock",
] as const;
export type LlmProviderName = (typeof llmProviderNames)[number];

const booleanString = z.stringbool({
	truthy: ["true", "1", "yes", "on"],
	falsy: ["false", "0", "no", "off", ""],
});
const optionalText = z
	.string()
	.optional()
	.transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));
const optionalUrl = optionalText.pipe(z.url().optional());
const positiveInteger = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const nonNegativeInteger = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);
const commaList = optionalText.transform((value) =>
	value === undefined
		? []
		: value
				.split(",")
				.map((item) => item.trim())
				.filter((item) => item.length > 0),
);

/**
 * A setting holding JSON, validated by `schema`; a parse failure says what shape was expected
 * instead of quoting the JSON parser.
 */
const jsonSetting = <Schema extends z.ZodType>(schema: Schema, example: string) =>
	optionalText
		.transform((value, context) => {
			if (value === undefined) return undefined;
			try {
				return JSON.parse(value) as unknown;
			} catch {
				context.addIssue({ code: "custom", message: `not valid JSON; expected something like ${example}` });
				return z.NEVER;
			}
		})
		.pipe(schema.optional());

/** USD per million tokens; 10,000 is far above any real price and catches a per-token figure typed as per-million. */
const pricePerMillion = z.number().min(0).max(10_000);
const modelPrices = z
	.record(z.string(), z.strictObject({ input: pricePerMillion, output: pricePerMillion }))
	.superRefine((prices, context) => {
		for (const model of Object.keys(prices)) {
			if (!/^[^/\s]+\/\S+$/.test(model)) {
				context.addIssue({ code: "custom", path: [model], message: 'keys must be public model ids, "provider/model"' });
			}
		}
	});
const budgetTokens = z.number().int().min(0);
const budgetUsd = z.number().min(0);
const roleBudgets = z.record(
	z.string().min(1),
	z.strictObject({
		daily_tokens: budgetTokens.optional(),
		monthly_tokens: budgetTokens.optional(),
		daily_usd: budgetUsd.optional(),
		monthly_usd: budgetUsd.optional(),
	}),
);

const environmentSchema = z.object({
	NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
	HOST: optionalText,
	PORT: z.coerce.number().int().min(0).max(65535).default(8000),
	PUBLIC_URL: optionalUrl,
	DATA_DIR: optionalText,
	DATABASE_URL: optionalText,
	DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
	DATABASE_STATEMENT_TIMEOUT_MS: nonNegativeInteger(30_000),
	LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
	BODY_LIMIT_BYTES: positiveInteger(1_048_576),
	CORS_ORIGINS: commaList,
	CORS_CREDENTIALS: booleanString.default(false),
	TRUST_PROXY: booleanString.default(false),

	AUTH_DEV_LOGIN: booleanString.optional(),
	AUTH_SIGNING_KEY: optionalText,
	AUTH_SIGNING_KEY_SEED: optionalText.pipe(
		z.string().regex(signingKeySeedPattern, "must be 64 hex digits (a 256-bit secret)").optional(),
	),
	AUTH_SIGNING_ALGORITHM: z.enum(["RS256", "ES256"]).default("RS256"),
	AUTH_TOKEN_ISSUER: optionalText,
	AUTH_TOKEN_AUDIENCE: z.string().min(1).default("parley"),
	AUTH_ACCESS_TOKEN_TTL_SECONDS: positiveInteger(900),
	AUTH_REFRESH_TOKEN_TTL_SECONDS: positiveInteger(30 * 24 * 3600),
	AUTH_JWKS_URL: optionalUrl,
	AUTH_ISSUER: optionalText,
	AUTH_AUDIENCE: optionalText,
	AUTH_ALGORITHMS: commaList,
	AUTH_ROLES_CLAIM: z.string().min(1).default("custom:roles"),
	ADMIN_EMAILS: commaList,
	REQUIRE_API_KEY: booleanString.default(false),
	API_KEYS: commaList,
	API_KEY: optionalText,
	PARLEY_MASTER_KEY: masterKeySetting,
	PARLEY_MASTER_KEY_ID: masterKeyIdSetting,
	PARLEY_MASTER_KEY_PREVIOUS: previousMasterKeysSetting,
	PARLEY_KMS_KEY_ID: kmsKeyIdSetting,
	PARLEY_KMS_ENDPOINT: optionalUrl,
	PARLEY_KMS_TIMEOUT_MS: positiveInteger(5000),
	BYOK_REQUIRED: booleanString.default(false),

	LLM_PROVIDER: z.enum(llmProviderNames).optional(),
	DEFAULT_MODEL: optionalText,
	LLM_MODELS: commaList,
	OPENAI_API_KEY: optionalText,
	OPENAI_BASE_URL: optionalUrl,
	OPENAI_COMPATIBLE_BASE_URL: optionalUrl,
	OPENAI_COMPATIBLE_API_KEY: optionalText,
	OPENROUTER_API_KEY: optionalText,
	OPENROUTER_BASE_URL: optionalUrl,
	GEMINI_API_KEY: optionalText,
	GOOGLE_GENERATIVE_AI_API_KEY: optionalText,
	ANTHROPIC_API_KEY: optionalText,
	ANTHROPIC_BASE_URL: optionalUrl,
	AWS_REGION: optionalText,
	LLM_TIMEOUT_MS: positiveInteger(60_000),
	LLM_CONNECT_TIMEOUT_MS: positiveInteger(10_000),
	LLM_STREAM_IDLE_TIMEOUT_MS: positiveInteger(60_000),
	LLM_TOTAL_TIMEOUT_MS: nonNegativeInteger(0),
	LLM_FALLBACKS: commaList,
	LLM_MAX_RETRIES: nonNegativeInteger(2),
	LLM_RETRY_BASE_DELAY_MS: nonNegativeInteger(200),
	LLM_RETRY_MAX_DELAY_MS: positiveInteger(10_000),
	LLM_BREAKER_THRESHOLD: positiveInteger(5),
	LLM_BREAKER_HALF_OPEN_AFTER_MS: positiveInteger(30_000),
	LLM_CONTEXT_TOKENS: positiveInteger(8192),
	LLM_PRICES: jsonSetting(modelPrices, '{"openai/gpt-4o-mini":{"input":0.15,"output":0.6}}'),
	BUDGET_DAILY_TOKENS: nonNegativeInteger(0),
	BUDGET_MONTHLY_TOKENS: nonNegativeInteger(0),
	BUDGET_DAILY_USD: z.coerce.number().min(0).default(0),
	BUDGET_MONTHLY_USD: z.coerce.number().min(0).default(0),
	BUDGETS_BY_ROLE: jsonSetting(
		roleBudgets,
		'{"user":{"daily_tokens":200000,"monthly_usd":5},"admin":{"daily_tokens":0}}',
	),
	EMBEDDER: z.enum(embedderNames).default("local"),
	EMBEDDING_MODEL: optionalText,
	EMBEDDING_DIMENSIONS: z.coerce.number().int().min(8).max(16_384).optional(),
	CHUNK_TOKENS: z.coerce.number().int().min(32).max(8192).default(300),
	CHUNK_OVERLAP_TOKENS: nonNegativeInteger(50),
	RAG_TOP_K: z.coerce.number().int().min(1).max(50).default(4),
	RAG_MIN_SIMILARITY: z.coerce.number().min(-1).max(1).default(0.2),
	SEARCH_FUSION_KEYWORD_WEIGHT: z.coerce.number().min(0).max(1).default(0.7),
	MEMORY_MODEL: optionalText,
	MEMORY_EXTRACTION: z.enum(["model", "rules", "off"]).default("model"),
	MOCK_LLM_LATENCY_MS: nonNegativeInteger(0),
	MOCK_LLM_STREAM_DELAY_MS: nonNegativeInteger(0),
	MOCK_LLM_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
	MOCK_LLM_SEED: nonNegativeInteger(42),
	METRICS_ENABLED: booleanString.default(true),
	REDIS_URL: optionalText.pipe(
		z
			.string()
			.regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
			.optional(),
	),
	REDIS_KEY_PREFIX: z.string().default("parley:"),
	QUEUE_BACKEND: z.enum(["embedded", "bullmq", "sqs"]).optional(),
	SQS_QUEUE_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: "must be an SQS queue URL" }).optional()),
	SQS_ENDPOINT: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
	SNS_TOPIC_ARN: optionalText.pipe(
		z
			.string()
			.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, "must be an SNS topic ARN")
			.optional(),
	),
	SNS_ENDPOINT: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
	/** Read by the Lambda handlers before this schema sees the environment (lambda/secret-environment.ts). */
	SECRETS_MANAGER_SECRET_IDS: optionalText,
	WORKER_IN_PROCESS: booleanString.optional(),
	WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
	QUESTION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(3),
	QUESTION_RETRY_DELAY_MS: nonNegativeInteger(2000),
	QUEUE_LEASE_MS: z.coerce.number().int().min(200).default(30_000),
	RATE_LIMIT_ENABLED: booleanString.default(true),
	RATE_LIMIT_PER_MINUTE: nonNegativeInteger(60),
	RATE_LIMIT_AUTH_PER_MINUTE: nonNegativeInteger(10),
	RATE_LIMITS: optionalText.transform((text, context) => {
		try {
			return parseRateLimitRules(`${defaultRuleText};${text ?? ""}`);
		} catch (error) {
			context.addIssue({ code: "custom", message: (error as Error).message });
			return z.NEVER;
		}
	}),
	RATE_LIMIT_FAILURE_MODE: z.enum(["open", "closed"]).default("open"),
	RESPONSE_CACHE: z.enum(["off", "exact", "semantic"]).default("exact"),
	RESPONSE_CACHE_STORE: z.enum(["memory", "sql", "redis"]).optional(),
	RESPONSE_CACHE_TTL_SECONDS: positiveInteger(3600),
	RESPONSE_CACHE_MAX_ENTRIES: positiveInteger(10_000),
	SEMANTIC_CACHE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.92),
	IDEMPOTENCY_TTL_SECONDS: positiveInteger(24 * 3600),
	IDEMPOTENCY_LOCK_SECONDS: positiveInteger(600),
	DOCUMENT_MAX_BYTES: positiveInteger(10 * 1_048_576),
	DEMO_KNOWLEDGE: booleanString.default(true),
	WEBHOOK_ALLOWED_HOSTS: commaList,
	WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
	WEBHOOK_RETRY_DELAY_MS: nonNegativeInteger(5000),
	WEBHOOK_TIMEOUT_MS: positiveInteger(10_000),
	WEBHOOK_DISABLE_AFTER_FAILURES: positiveInteger(20),
});

export type EnvironmentInput = z.input<typeof environmentSchema>;

/** Which provider's key is present decides the default provider, in this order. */
function detectProvider(environment: z.output<typeof environmentSchema>): LlmProviderName {
	if (environment.LLM_PROVIDER) return environment.LLM_PROVIDER;
	if (environment.OPENAI_COMPATIBLE_BASE_URL) return "openai-compatible";
	if (environment.OPENAI_API_KEY) return "openai";
	if (environment.OPENROUTER_API_KEY) return "openrouter";
	if (environment.ANTHROPIC_API_KEY) return "anthropic";
	if (environment.GEMINI_API_KEY ?? environment.GOOGLE_GENERATIVE_AI_API_KEY) return "gemini";
	return "mock";
}

export const defaultModelByProvider: Record<LlmProviderName, string> = {
	openai: "gpt-4o-mini",
	openrouter: "openai/gpt-4o-mini",
	gemini: "gemini-2.5-flash",
	bedrock: "anthropic.claude-3-5-haiku-20241022-v1:0",
	anthropic: "claude-haiku-4-5",
	"openai-compatible": "llama3.2",
	mock: "parley-mock-1",
};

function toConfig(environment: z.output<typeof environmentSchema>) {
	const production = environment.NODE_ENV === "production";
	const port = environment.PORT;
	const dataDirectory = path.resolve(environment.DATA_DIR ?? "./data");
	const publicUrl = (environment.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, "");
	const provider = detectProvider(environment);
	const staticApiKeys = [...environment.API_KEYS, ...(environment.API_KEY ? [environment.API_KEY] : [])];
	return {
		environment: environment.NODE_ENV,
		production,
		host: environment.HOST ?? (production ? "0.0.0.0" : "127.0.0.1"),
		port,
		publicUrl,
		dataDirectory,
		dataDirectoryExplicit: environment.DATA_DIR !== undefined,
		databaseUrl: environment.DATABASE_URL ?? `sqlite:${path.join(dataDirectory, "parley.db")}`,
		databasePool: {
			size: environment.DATABASE_POOL_SIZE,
			statementTimeoutMs: environment.DATABASE_STATEMENT_TIMEOUT_MS,
		},
		logLevel: environment.LOG_LEVEL,
		bodyLimitBytes: environment.BODY_LIMIT_BYTES,
		cors: { origins: environment.CORS_ORIGINS, credentials: environment.CORS_CREDENTIALS },
		trustProxy: environment.TRUST_PROXY,
		metricsEnabled: environment.METRICS_ENABLED,
		redis: environment.REDIS_URL ? { url: environment.REDIS_URL, keyPrefix: environment.REDIS_KEY_PREFIX } : undefined,
		/** Question outcomes also published to this SNS topic (subscribers: e-mail, SQS, Lambda…). */
		sns:
			environment.SNS_TOPIC_ARN === undefined
				? undefined
				: { topicArn: environment.SNS_TOPIC_ARN, endpoint: environment.SNS_ENDPOINT },
		queue: queueSettings(environment),
		rateLimits: {
			enabled: environment.RATE_LIMIT_ENABLED,
			perMinute: environment.RATE_LIMIT_PER_MINUTE,
			authenticationPerMinute: environment.RATE_LIMIT_AUTH_PER_MINUTE,
			/** The built-in rules (POST /v1/prompts 1/s and 10/min), then RATE_LIMITS, which override them. */
			rules: environment.RATE_LIMITS,
			failureMode: environment.RATE_LIMIT_FAILURE_MODE,
		},
		responseCache: {
			/** off: never; exact: deterministic requests (temperature 0, or `cache: true`); semantic: also similar questions. */
			mode: environment.RESPONSE_CACHE,
			store: environment.RESPONSE_CACHE_STORE ?? (environment.REDIS_URL ? "redis" : "memory"),
			ttlMs: environment.RESPONSE_CACHE_TTL_SECONDS * 1000,
			maxEntries: environment.RESPONSE_CACHE_MAX_ENTRIES,
			semanticThreshold: environment.SEMANTIC_CACHE_THRESHOLD,
		},
		idempotency: {
			/** How long a completed request's response is replayed to repeats of its key. */
			ttlMs: environment.IDEMPOTENCY_TTL_SECONDS * 1000,
			/** After this, an unfinished first request (its process died) no longer holds its key. */
			lockMs: environment.IDEMPOTENCY_LOCK_SECONDS * 1000,
		},
		/** Model that extracts memories from every user's messages; else the model that answered the turn. */
		memory: {
			model: environment.MEMORY_MODEL,
			/** model: a model call per message (rules as fallback); rules: never a model call; off: learn nothing. */
			extraction: environment.MEMORY_EXTRACTION,
		},
		documents: {
			/** Largest document accepted (an uploaded file, or the text of a JSON upload). */
			maxBytes: environment.DOCUMENT_MAX_BYTES,
			/** Seed the shared "parley-guide" collection on first start of the embedded default. */
			demoKnowledge: environment.DEMO_KNOWLEDGE,
		},
		auth: {
			devLogin: environment.AUTH_DEV_LOGIN ?? !production,
			signingKey:
				environment.AUTH_SIGNING_KEY ??
				(environment.AUTH_SIGNING_KEY_SEED === undefined
					? undefined
					: JSON.stringify(signingJwkFromSeed(environment.AUTH_SIGNING_KEY_SEED))),
			signingAlgorithm: environment.AUTH_SIGNING_ALGORITHM,
			tokenIssuer: environment.AUTH_TOKEN_ISSUER ?? publicUrl,
			tokenAudience: environment.AUTH_TOKEN_AUDIENCE,
			accessTokenTtlSeconds: environment.AUTH_ACCESS_TOKEN_TTL_SECONDS,
			refreshTokenTtlSeconds: environment.AUTH_REFRESH_TOKEN_TTL_SECONDS,
			external:
				environment.AUTH_JWKS_URL && environment.AUTH_ISSUER
					? {
							jwksUrl: environment.AUTH_JWKS_URL,
							issuer: environment.AUTH_ISSUER,
							audience: environment.AUTH_AUDIENCE,
							algorithms: environment.AUTH_ALGORITHMS.length > 0 ? environment.AUTH_ALGORITHMS : ["RS256"],
						}
					: undefined,
			rolesClaim: environment.AUTH_ROLES_CLAIM,
			/** Accounts with these emails get the admin role. */
			adminEmails: environment.ADMIN_EMAILS.map((email) => email.toLowerCase()),
			requireApiKey: environment.REQUIRE_API_KEY,
			staticApiKeys,
		},
		webhooks: {
			/** Hosts (as written in URLs) that may be private, loopback or link-local addresses. */
			allowedHosts: new Set(
				environment.WEBHOOK_ALLOWED_HOSTS.map((host) => host.toLowerCase().replace(/^\[(.*)\]$/, "$1")),
			),
			maxAttempts: environment.WEBHOOK_MAX_ATTEMPTS,
			retryDelayMs: environment.WEBHOOK_RETRY_DELAY_MS,
			timeoutMs: environment.WEBHOOK_TIMEOUT_MS,
			disableAfterFailures: environment.WEBHOOK_DISABLE_AFTER_FAILURES,
		},
		/** Users' own provider keys (bring your own key), encrypted at rest under a master key. */
		providerKeys: {
			/** Undefined: generated on first start and kept in DATA_DIR (keys/master-keys.json). */
			masterKey: environment.PARLEY_MASTER_KEY
				? {
						id: environment.PARLEY_MASTER_KEY_ID ?? derivedKeyId(environment.PARLEY_MASTER_KEY),
						key: environment.PARLEY_MASTER_KEY,
					}
				: undefined,
			/** Older master keys: records they wrapped stay readable until `parley rotate-master-key`. */
			previousMasterKeys: environment.PARLEY_MASTER_KEY_PREVIOUS,
			/** AWS KMS wraps new records when keyId is set; records it wrapped earlier are read either way. */
			kms: {
				keyId: environment.PARLEY_KMS_KEY_ID,
				endpoint: environment.PARLEY_KMS_ENDPOINT,
				region: environment.AWS_REGION,
				timeoutMs: environment.PARLEY_KMS_TIMEOUT_MS,
			},
			/** Every model call (except the mock's) needs the caller's own key for its provider. */
			required: environment.BYOK_REQUIRED,
		},
		llm: {
			provider,
			defaultModel: environment.DEFAULT_MODEL ?? `${provider}/${defaultModelByProvider[provider]}`,
			/** Extra public model ids ("provider/model") advertised by GET /v1/models. */
			advertisedModels: environment.LLM_MODELS,
			openai: environment.OPENAI_API_KEY
				? { apiKey: environment.OPENAI_API_KEY, baseUrl: environment.OPENAI_BASE_URL ?? "https://api.openai.com/v1" }
				: undefined,
			openrouter: environment.OPENROUTER_API_KEY
				? {
						apiKey: environment.OPENROUTER_API_KEY,
						baseUrl: environment.OPENROUTER_BASE_URL ?? "https://openrouter.ai/api/v1",
					}
				: undefined,
			openaiCompatible: environment.OPENAI_COMPATIBLE_BASE_URL
				? { apiKey: environment.OPENAI_COMPATIBLE_API_KEY, baseUrl: environment.OPENAI_COMPATIBLE_BASE_URL }
				: undefined,
			gemini:
				(environment.GEMINI_API_KEY ?? environment.GOOGLE_GENERATIVE_AI_API_KEY)
					? { apiKey: (environment.GEMINI_API_KEY ?? environment.GOOGLE_GENERATIVE_AI_API_KEY) as string }
					: undefined,
			anthropic: environment.ANTHROPIC_API_KEY
				? { apiKey: environment.ANTHROPIC_API_KEY, baseUrl: environment.ANTHROPIC_BASE_URL }
				: undefined,
			bedrock: provider === "bedrock" || environment.AWS_REGION ? { region: environment.AWS_REGION } : undefined,
			/** Where calls with a user's own key go for providers this server has no key for. */
			userKeyBaseUrls: {
				openai: environment.OPENAI_BASE_URL ?? "https://api.openai.com/v1",
				openrouter: environment.OPENROUTER_BASE_URL ?? "https://openrouter.ai/api/v1",
				anthropic: environment.ANTHROPIC_BASE_URL,
				openaiCompatible: environment.OPENAI_COMPATIBLE_BASE_URL,
			},
			timeoutMs: environment.LLM_TIMEOUT_MS,
			connectTimeoutMs: environment.LLM_CONNECT_TIMEOUT_MS,
			/** A stream (or a response body) that sends nothing for this long is given up on. */
			streamIdleTimeoutMs: environment.LLM_STREAM_IDLE_TIMEOUT_MS,
			/** Deadline for a whole call, retries and fallbacks included, until the answer starts; 0 = none. */
			totalTimeoutMs: environment.LLM_TOTAL_TIMEOUT_MS,
			/** Public model ids tried in order after the requested model fails (validated at start-up). */
			fallbacks: environment.LLM_FALLBACKS,
			maxRetries: environment.LLM_MAX_RETRIES,
			retryBaseDelayMs: environment.LLM_RETRY_BASE_DELAY_MS,
			retryMaxDelayMs: environment.LLM_RETRY_MAX_DELAY_MS,
			breakerThreshold: environment.LLM_BREAKER_THRESHOLD,
			breakerHalfOpenAfterMs: environment.LLM_BREAKER_HALF_OPEN_AFTER_MS,
			defaultContextTokens: environment.LLM_CONTEXT_TOKENS,
			/** USD per million tokens by public model id, over the built-in price table. */
			prices: environment.LLM_PRICES ?? {},
			mock: {
				latencyMs: environment.MOCK_LLM_LATENCY_MS,
				streamDelayMs: environment.MOCK_LLM_STREAM_DELAY_MS,
				failureRate: environment.MOCK_LLM_FAILURE_RATE,
				seed: environment.MOCK_LLM_SEED,
			},
		},
		/** Per-user usage limits; 0 means no limit. A role's entry replaces the defaults it names. */
		budgets: {
			defaults: {
				daily_tokens: environment.BUDGET_DAILY_TOKENS,
				monthly_tokens: environment.BUDGET_MONTHLY_TOKENS,
				daily_usd: environment.BUDGET_DAILY_USD,
				monthly_usd: environment.BUDGET_MONTHLY_USD,
			},
			byRole: environment.BUDGETS_BY_ROLE ?? {},
		},
		retrieval: {
			embedder: retrievalEmbedder(environment),
			chunkTokens: environment.CHUNK_TOKENS,
			chunkOverlapTokens: environment.CHUNK_OVERLAP_TOKENS,
			topK: environment.RAG_TOP_K,
			/** Vector-only matches below this cosine similarity do not ground chat answers. */
			minimumSimilarity: environment.RAG_MIN_SIMILARITY,
			/** Share of the keyword list in hybrid search (weighted min-max fusion). */
			keywordWeight: environment.SEARCH_FUSION_KEYWORD_WEIGHT,
		},
	};
}

/** Where question jobs wait, and whether this process answers them. */
function queueSettings(environment: z.output<typeof environmentSchema>) {
	const backend: "embedded" | "bullmq" | "sqs" =
		environment.QUEUE_BACKEND ?? (environment.SQS_QUEUE_URL ? "sqs" : environment.REDIS_URL ? "bullmq" : "embedded");
	return {
		backend,
		/**
		 * Embedded: always (the API process is the worker). BullMQ and SQS: only when asked; otherwise
		 * `parley worker` or, on AWS, the SQS-triggered worker Lambda.
		 */
		workerInProcess: backend === "embedded" || (environment.WORKER_IN_PROCESS ?? false),
		sqs:
			environment.SQS_QUEUE_URL === undefined
				? undefined
				: { queueUrl: environment.SQS_QUEUE_URL, endpoint: environment.SQS_ENDPOINT },
		concurrency: environment.WORKER_CONCURRENCY,
		maxAttempts: environment.QUESTION_MAX_ATTEMPTS,
		/** First retry delay; doubles per attempt. */
		backoffMs: environment.QUESTION_RETRY_DELAY_MS,
		/** How long a dead worker's job stays taken before another worker gets it. */
		leaseMs: environment.QUEUE_LEASE_MS,
	};
}

/** The embedder's model and vector size; dimensions stay undefined when Parley cannot know them (a problem, see below). */
function retrievalEmbedder(environment: z.output<typeof environmentSchema>) {
	const provider: EmbedderName = environment.EMBEDDER;
	if (provider === "local") {
		return {
			provider,
			model: "local-lexical",
			dimensions: environment.EMBEDDING_DIMENSIONS ?? 1024,
			requestDimensions: false,
		};
	}
	const model = environment.EMBEDDING_MODEL ?? defaultEmbeddingModel[provider];
	return {
		provider,
		model,
		dimensions: environment.EMBEDDING_DIMENSIONS ?? knownEmbeddingDimensions[model],
		/** Only an explicit EMBEDDING_DIMENSIONS is sent to the provider. */
		requestDimensions: environment.EMBEDDING_DIMENSIONS !== undefined,
	};
}

export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
	constructor(readonly problems: string[]) {
		super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
		this.name = "ConfigError";
	}
}

function retrievalProblems(config: Config): string[] {
	const { embedder, chunkTokens, chunkOverlapTokens } = config.retrieval;
	const problems: string[] = [];
	if (chunkOverlapTokens * 2 > chunkTokens) {
		problems.push("CHUNK_OVERLAP_TOKENS: must be at most half of CHUNK_TOKENS");
	}
	if (embedder.provider === "local" && embedder.dimensions !== undefined && embedder.dimensions < 256) {
		problems.push("EMBEDDING_DIMENSIONS: the local embedder needs at least 256 (collisions drown the signal below)");
	}
	if (embedder.dimensions === undefined) {
		problems.push(`EMBEDDING_DIMENSIONS: set the vector size of ${embedder.model} (Parley does not know it)`);
	}
	const credentials: Partial<Record<EmbedderName, [boolean, string]>> = {
		openai: [config.llm.openai !== undefined, "OPENAI_API_KEY"],
		gemini: [config.llm.gemini !== undefined, "GEMINI_API_KEY"],
		"openai-compatible": [config.llm.openaiCompatible !== undefined, "OPENAI_COMPATIBLE_BASE_URL"],
	};
	const needed = credentials[embedder.provider];
	if (needed !== undefined && !needed[0]) {
		problems.push(`EMBEDDER: ${embedder.provider} needs ${needed[1]}`);
	}
	return problems;
}

/** Settings that are fine on a laptop and dangerous on a server. */
function productionProblems(config: Config, environment: z.output<typeof environmentSchema>): string[] {
	const problems: string[] = retrievalProblems(config);
	if (config.responseCache.store === "redis" && config.redis === undefined) {
		problems.push("RESPONSE_CACHE_STORE: redis needs REDIS_URL");
	}
	if (environment.PARLEY_MASTER_KEY_ID && !environment.PARLEY_MASTER_KEY) {
		problems.push("PARLEY_MASTER_KEY_ID: names PARLEY_MASTER_KEY, which is not set");
	}
	if (config.queue.backend === "bullmq" && !config.redis) {
		problems.push("QUEUE_BACKEND: bullmq needs REDIS_URL");
	}
	if (config.queue.backend === "sqs" && !config.queue.sqs) {
		problems.push("QUEUE_BACKEND: sqs needs SQS_QUEUE_URL");
	}
	if (config.cors.credentials && config.cors.origins.includes("*")) {
		problems.push("CORS_ORIGINS: '*' cannot be combined with CORS_CREDENTIALS=true");
	}
	if (!config.production) return problems;
	if (config.auth.devLogin) problems.push("AUTH_DEV_LOGIN: password-less login must be off in production");
	if (!environment.AUTH_SIGNING_KEY && !environment.AUTH_SIGNING_KEY_SEED && !config.dataDirectoryExplicit) {
		problems.push(
			"AUTH_SIGNING_KEY: set it, or set DATA_DIR to persistent storage, so tokens survive a restart in production",
		);
	}
	if (!environment.PARLEY_MASTER_KEY && !environment.PARLEY_KMS_KEY_ID && !config.dataDirectoryExplicit) {
		problems.push(
			"PARLEY_MASTER_KEY: set it (or PARLEY_KMS_KEY_ID), or set DATA_DIR to persistent storage, so users' stored provider keys stay readable after a restart in production",
		);
	}
	if (config.auth.tokenIssuer.startsWith("http://localhost") && !environment.PUBLIC_URL) {
		problems.push("PUBLIC_URL: set the public address of this deployment in production (it is the token issuer)");
	}
	return problems;
}

export function loadConfig(
	environment: Record<string, string | undefined> = process.env,
	overrides: Partial<Record<keyof EnvironmentInput, string>> = {},
): Config {
	const parsed = environmentSchema.safeParse({ ...environment, ...overrides });
	if (!parsed.success) {
		throw new ConfigError(
			parsed.error.issues.map((issue) => `${issue.path.join(".") || "(environment)"}: ${issue.message}`),
		);
	}
	const config = toConfig(parsed.data);
	const problems = productionProblems(config, parsed.data);
	if (problems.length > 0) throw new ConfigError(problems);
	return config;
}
