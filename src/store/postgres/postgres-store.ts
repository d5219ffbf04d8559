import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Store } from "../store-port.js";
import { createPostgresApiKeyRepository } from "./postgres-api-key-repository.js";
import { checkSchemaName, defaultPoolSettings, type PostgresPoolSettings } from "./postgres-config.js";
import { createPostgresConversationRepository } from "./postgres-conversation-repository.js";
import { createPostgresIdempotencyRepository } from "./postgres-idempotency-repository.js";
import { createPostgresInteractionRepository } from "./postgres-interaction-repository.js";
import { createPostgresJobRepository } from "./postgres-job-repository.js";
import { createPostgresKnowledgeRepository, type PostgresKnowledgeOptions } from "./postgres-knowledge-repository.js";
import { createPostgresMemoryRepository } from "./postgres-memory-repository.js";
import { migratePostgresDatabase } from "./postgres-migrations.js";
import { createPostgresProviderKeyRepository } from "./postgres-provider-key-repository.js";
import { createPostgresQuestionRepository } from "./postgres-question-repository.js";
import { createPostgresRefreshTokenRepository } from "./postgres-refresh-token-repository.js";
import { createTransactionRunner, type PostgresRepositoryDependencies } from "./postgres-repository-support.js";
import { createPostgresResponseCacheRepository } from "./postgres-response-cache-repository.js";
import { createPostgresBudgetRepository, createPostgresUsageRepository } from "./postgres-usage-repository.js";
import { createPostgresUserRepository } from "./postgres-user-repository.js";
import { createPostgresWebhookRepository } from "./postgres-webhook-repository.js";

export interface PostgresStoreOptions {
	/** A postgres:// or postgresql:// URL. */
	url: string;
	pool?: Partial<PostgresPoolSettings>;
	/** Tables live in this schema (created by the migrations) instead of the connection's default; tests use one per store. */
	schema?: string;
	/** Apply pending migrations before returning; default true. */
	migrate?: boolean;
	knowledge?: PostgresKnowledgeOptions;
}

const int8 = 20;
const numeric = 1700;

/**
 * Timestamps and counts are bigint columns, which node-postgres returns as strings to avoid
 * precision loss. Every such value here is an epoch-ms time or a count, far below 2^53, so they
 * are read as numbers — for this pool only, not for every pg user in the process.
 */
const typeParsers = {
	getTypeParser: ((oid: number, format?: "text" | "binary") =>
		oid === int8 || oid === numeric
			? (value: string) => Number(value)
			: pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/**
 * The distributed store: a pg connection pool, schema managed by Kysely's migrator
 * (postgres-migrations.ts), one repository per port part. Readiness (`ping`) is a trivial query
 * through the pool, so it fails when the server is down or every connection is stuck.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
	const schema = options.schema === undefined ? undefined : checkSchemaName(options.schema);
	const pool = createPostgresPool(options);
	const dependencies: PostgresRepositoryDependencies = { pool, transaction: createTransactionRunner(pool) };
	let closing: Promise<void> | undefined;

	const store: Store = {
		capabilities: { backend: "postgres", supportsTransactions: true },
		users: createPostgresUserRepository(dependencies),
		refreshTokens: createPostgresRefreshTokenRepository(dependencies),
		apiKeys: createPostgresApiKeyRepository(dependencies),
		providerKeys: createPostgresProviderKeyRepository(dependencies),
		conversations: createPostgresConversationRepository(dependencies),
		interactions: createPostgresInteractionRepository(dependencies),
		usage: createPostgresUsageRepository(dependencies),
		budgets: createPostgresBudgetRepository(dependencies),
		questions: createPostgresQuestionRepository(dependencies),
		jobs: createPostgresJobRepository(dependencies),
		webhooks: createPostgresWebhookRepository(dependencies),
		knowledge: createPostgresKnowledgeRepository(dependencies, options.knowledge),
		memories: createPostgresMemoryRepository(dependencies),
		idempotency: createPostgresIdempotencyRepository(dependencies),
		responseCache: createPostgresResponseCacheRepository(dependencies),

		connectionPool() {
			return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
		},

		async migrate() {
			// A pool of its own without the statement timeout: a later migration that builds an index
			// over a large table may rightly run longer than any request should.
			const migrationPool = createPostgresPool({ ...options, pool: { size: 2, statementTimeoutMs: 0 } });
			const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: migrationPool }) });
			try {
				await migratePostgresDatabase(kysely, schema);
			} finally {
				await kysely.destroy();
			}
		},

		async ping() {
			await pool.query("SELECT 1");
		},

		close() {
			closing ??= pool.end();
			return closing;
		},
	};

	if (options.migrate ?? true) {
		try {
			await store.migrate();
		} catch (error) {
			await store.close();
			throw error;
		}
	}
	return store;
}

/** The store's connection pool: size, statement timeout, schema and number parsing from the options. */
export function createPostgresPool(options: Pick<PostgresStoreOptions, "url" | "pool" | "schema">): pg.Pool {
	const settings = { ...defaultPoolSettings, ...options.pool };
	const schema = options.schema === undefined ? undefined : checkSchemaName(options.schema);
	const pool = new pg.Pool({
		connectionString: options.url,
		max: settings.size,
		// Server-side, per connection: a runaway statement is cancelled by PostgreSQL itself.
		...(settings.statementTimeoutMs > 0 ? { statement_timeout: settings.statementTimeoutMs } : {}),
		// pgvector's `vector` type lives in the schema it was installed in (usually public).
		...(schema === undefined ? {} : { options: `-c search_path=${schema},public` }),
		connectionTimeoutMillis: 10_000,
		types: typeParsers,
	});
	// An idle connection that dies (server restart, network) emits 'error' on the pool; without a
	// listener that would crash the process. The next query opens a fresh connection instead.
	pool.on("error", () => {});
	return pool;
}
