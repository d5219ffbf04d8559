import { describeDynamoDbTarget, isDynamoDbUrl, parseDynamoDbUrl } from "./dynamodb/dynamodb-config.js";
import { createDynamoStore } from "./dynamodb/dynamodb-store.js";
import { describePostgresTarget, isPostgresUrl, type PostgresPoolSettings } from "./postgres/postgres-config.js";
import { createPostgresStore } from "./postgres/postgres-store.js";
import { parseSqliteUrl } from "./sqlite/sqlite-config.js";
import { createSqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store-port.js";

export interface CreateStoreOptions {
	/** Apply pending migrations on start; default true. The `parley migrate` command passes false and migrates itself. */
	migrate?: boolean;
	/** PostgreSQL pool size and statement timeout (DATABASE_POOL_SIZE, DATABASE_STATEMENT_TIMEOUT_MS). */
	pool?: PostgresPoolSettings;
}

const supportedSchemes =
	"sqlite: (e.g. sqlite:./data/parley.db or sqlite::memory:), postgres:// or postgresql:// (e.g. postgres://user:password@host:5432/parley) and dynamodb:// (e.g. dynamodb://parley?region=eu-west-1)";

/** Opens the store that DATABASE_URL names, choosing the backend by its scheme. */
export async function createStore(databaseUrl: string, options: CreateStoreOptions = {}): Promise<Store> {
	const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(databaseUrl.trim())?.[1]?.toLowerCase();
	if (scheme === "sqlite") {
		return createSqliteStore({ ...parseSqliteUrl(databaseUrl), migrate: options.migrate ?? true });
	}
	if (isPostgresUrl(databaseUrl)) {
		try {
			return await createPostgresStore({
				url: databaseUrl.trim(),
				pool: options.pool,
				migrate: options.migrate ?? true,
			});
		} catch (error) {
			// Connection errors name host and database, never the password in the URL.
			throw new Error(`PostgreSQL at ${describePostgresTarget(databaseUrl)} could not be opened: ${messageOf(error)}`, {
				cause: error,
			});
		}
	}
	if (isDynamoDbUrl(databaseUrl)) {
		const settings = parseDynamoDbUrl(databaseUrl);
		try {
			return await createDynamoStore({ settings, migrate: options.migrate ?? true });
		} catch (error) {
			throw new Error(`DynamoDB ${describeDynamoDbTarget(settings)} could not be opened: ${messageOf(error)}`, {
				cause: error,
			});
		}
	}
	// Only the scheme is echoed: the rest of a database URL may carry a password.
	const named =
		scheme === undefined ? "DATABASE_URL has no scheme" : `DATABASE_URL scheme "${scheme}:" is not supported`;
	throw new Error(`${named}; this build supports ${supportedSchemes}`);
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
