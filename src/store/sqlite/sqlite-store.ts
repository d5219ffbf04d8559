import SqliteDatabase, { type Database } from "better-sqlite3";
import type { Store } from "../store-port.js";
import { createSqliteApiKeyRepository } from "./sqlite-api-key-repository.js";
import { ensureDatabaseDirectory } from "./sqlite-config.js";
import { createSqliteConversationRepository } from "./sqlite-conversation-repository.js";
import { createSqliteIdempotencyRepository } from "./sqlite-idempotency-repository.js";
import { createSqliteInteractionRepository } from "./sqlite-interaction-repository.js";
import { createSqliteJobRepository } from "./sqlite-job-repository.js";
import { createSqliteKnowledgeRepository } from "./sqlite-knowledge-repository.js";
import { createSqliteMemoryRepository } from "./sqlite-memory-repository.js";
import { migrateSqliteDatabase } from "./sqlite-migrations.js";
import { createSqliteProviderKeyRepository } from "./sqlite-provider-key-repository.js";
import { createSqliteQuestionRepository } from "./sqlite-question-repository.js";
import { createSqliteRefreshTokenRepository } from "./sqlite-refresh-token-repository.js";
import { createSqliteResponseCacheRepository } from "./sqlite-response-cache-repository.js";
import { createSqliteBudgetRepository, createSqliteUsageRepository } from "./sqlite-usage-repository.js";
import { createSqliteUserRepository } from "./sqlite-user-repository.js";
import { createSqliteWebhookRepository } from "./sqlite-webhook-repository.js";
import { createWriteQueue, type WriteQueueOptions } from "./sqlite-write-queue.js";

export interface SqliteStoreOptions {
	/** A file path, or ":memory:". */
	filename: string;
	/** Apply pending migrations before returning; default true (the embedded mode needs no setup step). */
	migrate?: boolean;
	writeQueue?: WriteQueueOptions;
}

/**
 * The embedded store: one better-sqlite3 connection per process. Reads are synchronous
 * prepared statements; every write goes through a grouped-commit queue (sqlite-write-queue.ts).
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
	ensureDatabaseDirectory(options.filename);
	const database = openSqliteDatabase(options.filename);
	const writeQueue = createWriteQueue(database, options.writeQueue);
	const dependencies = { database, writeQueue };
	const ping = database.prepare("SELECT 1");
	let closing: Promise<void> | undefined;

	const store: Store = {
		capabilities: { backend: "sqlite", supportsTransactions: true },
		users: createSqliteUserRepository(dependencies),
		refreshTokens: createSqliteRefreshTokenRepository(dependencies),
		apiKeys: createSqliteApiKeyRepository(dependencies),
		providerKeys: createSqliteProviderKeyRepository(dependencies),
		conversations: createSqliteConversationRepository(dependencies),
		interactions: createSqliteInteractionRepository(dependencies),
		usage: createSqliteUsageRepository(dependencies),
		budgets: createSqliteBudgetRepository(dependencies),
		knowledge: createSqliteKnowledgeRepository(dependencies),
		memories: createSqliteMemoryRepository(dependencies),
		idempotency: createSqliteIdempotencyRepository(dependencies),
		responseCache: createSqliteResponseCacheRepository(dependencies),
		questions: createSqliteQuestionRepository(dependencies),
		jobs: createSqliteJobRepository(dependencies),
		webhooks: createSqliteWebhookRepository(dependencies),

		async migrate() {
			// Exclusive: the migration keeps a transaction open across awaits, which a batch of
			// queued writes must not join.
			await writeQueue.exclusive(() => migrateSqliteDatabase(database));
		},

		async ping() {
			ping.get();
		},

		close() {
			closing ??= (async () => {
				await writeQueue.close();
				try {
					// Lets SQLite refresh the planner statistics of tables that changed a lot meanwhile.
					database.pragma("optimize");
				} finally {
					database.close();
				}
			})();
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

function openSqliteDatabase(filename: string): Database {
	const database = new SqliteDatabase(filename);
	try {
		// WAL lets reads proceed during a write; with WAL, synchronous=NORMAL stays crash-safe and
		// only a power loss can drop the last commits.
		database.pragma("journal_mode = WAL");
		database.pragma("synchronous = NORMAL");
		database.pragma("foreign_keys = ON");
		// Another process holding the write lock (a CLI migration, a second server) makes us
		// wait this long before SQLITE_BUSY.
		database.pragma("busy_timeout = 5000");
		// 64 MiB page cache and 256 MiB memory-mapped reads: the working set of a chat backend.
		database.pragma("cache_size = -65536");
		database.pragma("mmap_size = 268435456");
		database.pragma("temp_store = MEMORY");
		// Truncate the WAL file after checkpoints instead of letting it keep its peak size.
		database.pragma("journal_size_limit = 67108864");
	} catch (error) {
		database.close();
		throw error;
	}
	return database;
}
