import type { Database } from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { type Migration, type MigrationProvider, Migrator } from "kysely/migration";
import { knowledgeMigration } from "./sqlite-knowledge-migrations.js";
import { memoriesMigration } from "./sqlite-memory-migrations.js";
import { providerKeysMigration } from "./sqlite-provider-key-migrations.js";
import { questionsMigration } from "./sqlite-question-migrations.js";
import { usageAndBudgetsMigration } from "./sqlite-usage-migrations.js";
import { webhooksMigration } from "./sqlite-webhook-migrations.js";

/**
 * The SQLite schema, as versioned migrations defined in code so `dist/` needs no migration files
 * on disk. Kysely's Migrator applies them in name order and records each in `kysely_migration`.
 *
 * Rules for new entries: append with the next number, never edit an applied one. There are no
 * down migrations: nothing runs them, and an untested rollback is worse than none. Timestamps are
 * INTEGER epoch ms, JSON is TEXT, booleans are INTEGER 0/1; tables are STRICT so a wrongly typed
 * value fails loudly instead of being stored as something else. A migration that must rebuild a
 * table (SQLite's ALTER TABLE is limited) runs inside the migration transaction with
 * foreign_keys=ON, so it should use `PRAGMA defer_foreign_keys = ON` rather than switching
 * foreign keys off.
 */
export const sqliteMigrations: Readonly<Record<string, Migration>> = {
	"0001_users_and_credentials": {
		async up(database: Kysely<unknown>) {
			await database.schema
				.createTable("users")
				.addColumn("id", "text", (column) => column.primaryKey())
				.addColumn("email", "text")
				.addColumn("username", "text")
				// Lower-cased in JavaScript: SQLite's lower() folds ASCII only, and "Zoë" and "ZOË" must
				// collide like they do under PostgreSQL's lower().
				.addColumn("username_normalized", "text")
				.addColumn("name", "text")
				.addColumn("roles", "text", (column) => column.notNull())
				.addColumn("preferences", "text", (column) => column.notNull())
				.addColumn("default_model", "text")
				.addColumn("password_hash", "text")
				.addColumn("external_issuer", "text")
				.addColumn("external_subject", "text")
				.addColumn("created_at", "integer", (column) => column.notNull())
				.addColumn("updated_at", "integer", (column) => column.notNull())
				.modifyEnd(sql`strict`)
				.execute();
			// The port hands us lower-cased emails; indexing lower(email) also guards against a caller
			// that forgets. NULLs never collide, so users without email or username are fine.
			await database.schema.createIndex("users_email_unique").on("users").unique().column(sql`lower(email)`).execute();
			await database.schema
				.createIndex("users_username_unique")
				.on("users")
				.unique()
				.column("username_normalized")
				.execute();
			await database.schema
				.createIndex("users_external_subject_unique")
				.on("users")
				.unique()
				.columns(["external_issuer", "external_subject"])
				.execute();

			await database.schema
				.createTable("refresh_tokens")
				.addColumn("id", "text", (column) => column.primaryKey())
				.addColumn("user_id", "text", (column) => column.notNull())
				.addColumn("family_id", "text", (column) => column.notNull())
				.addColumn("token_hash", "text", (column) => column.notNull())
				.addColumn("created_at", "integer", (column) => column.notNull())
				.addColumn("expires_at", "integer", (column) => column.notNull())
				.addColumn("used_at", "integer")
				.addColumn("revoked_at", "integer")
				.modifyEnd(sql`strict`)
				.execute();
			await database.schema
				.createIndex("refresh_tokens_token_hash_unique")
				.on("refresh_tokens")
				.unique()
				.column("token_hash")
				.execute();
			await database.schema.createIndex("refresh_tokens_family").on("refresh_tokens").column("family_id").execute();
			await database.schema.createIndex("refresh_tokens_user").on("refresh_tokens").column("user_id").execute();

			await database.schema
				.createTable("api_keys")
				.addColumn("id", "text", (column) => column.primaryKey())
				.addColumn("user_id", "text", (column) => column.notNull())
				.addColumn("name", "text", (column) => column.notNull())
				.addColumn("prefix", "text", (column) => column.notNull())
				.addColumn("last_four", "text", (column) => column.notNull())
				.addColumn("key_hash", "text", (column) => column.notNull())
				.addColumn("created_at", "integer", (column) => column.notNull())
				.addColumn("expires_at", "integer")
				.addColumn("last_used_at", "integer")
				.addColumn("revoked_at", "integer")
				.modifyEnd(sql`strict`)
				.execute();
			await database.schema
				.createIndex("api_keys_key_hash_unique")
				.on("api_keys")
				.unique()
				.column("key_hash")
				.execute();
			await database.schema.createIndex("api_keys_user").on("api_keys").column("user_id").execute();
		},
	},

	"0002_conversations_and_interactions": {
		async up(database: Kysely<unknown>) {
			await database.schema
				.createTable("conversations")
				.addColumn("id", "text", (column) => column.primaryKey())
				.addColumn("user_id", "text", (column) => column.notNull())
				.addColumn("title", "text", (column) => column.notNull())
				.addColumn("model", "text")
				.addColumn("prompt_tokens", "integer", (column) => column.notNull())
				.addColumn("completion_tokens", "integer", (column) => column.notNull())
				.addColumn("total_tokens", "integer", (column) => column.notNull())
				.addColumn("interaction_count", "integer", (column) => column.notNull())
				.addColumn("created_at", "integer", (column) => column.notNull())
				.addColumn("updated_at", "integer", (column) => column.notNull())
				// Clustered on the UUIDv7 id, which grows with time: rows append at the end of one
				// B-tree, instead of a rowid table plus a separate primary-key index.
				.modifyEnd(sql`strict, without rowid`)
				.execute();
			// Serves the user's list, newest first, and its (updated_at, id) cursor seeks.
			await database.schema
				.createIndex("conversations_user_updated")
				.on("conversations")
				.columns(["user_id", "updated_at desc", "id desc"])
				.execute();

			await database.schema
				.createTable("interactions")
				.addColumn("id", "text", (column) => column.primaryKey())
				.addColumn("user_id", "text", (column) => column.notNull())
				.addColumn("conversation_id", "text", (column) => column.references("conversations.id").onDelete("cascade"))
				.addColumn("api_key_id", "text")
				.addColumn("endpoint", "text", (column) => column.notNull())
				.addColumn("provider", "text", (column) => column.notNull())
				.addColumn("model", "text", (column) => column.notNull())
				.addColumn("system", "text")
				.addColumn("prompt", "text", (column) => column.notNull())
				.addColumn("response", "text", (column) => column.notNull())
				.addColumn("prompt_tokens", "integer", (column) => column.notNull())
				.addColumn("completion_tokens", "integer", (column) => column.notNull())
				.addColumn("total_tokens", "integer", (column) => column.notNull())
				.addColumn("prompt_text_tokens", "integer", (column) => column.notNull())
				.addColumn("usage_estimated", "integer", (column) => column.notNull().check(sql`usage_estimated in (0, 1)`))
				.addColumn("latency_ms", "integer", (column) => column.notNull())
				.addColumn("finish_reason", "text", (column) => column.notNull())
				.addColumn("request_id", "text")
				.addColumn("metadata", "text")
				.addColumn("created_at", "integer", (column) => column.notNull())
				.modifyEnd(sql`strict, without rowid`)
				.execute();
			await database.schema
				.createIndex("interactions_user_created")
				.on("interactions")
				.columns(["user_id", "created_at desc", "id desc"])
				.execute();
			// Serves a conversation's recent turns, and the ON DELETE CASCADE lookup.
			// Partial: interactions outside a conversation (completions, generate) never need it.
			await database.schema
				.createIndex("interactions_conversation_created")
				.on("interactions")
				.columns(["conversation_id", "created_at", "id"])
				.where(sql.ref("conversation_id"), "is not", null)
				.execute();
		},
	},

	"0003_knowledge": knowledgeMigration,

	"0004_memories": memoriesMigration,

	"0005_idempotency_records": {
		async up(database: Kysely<unknown>) {
			// status NULL: claimed, the first request still running. Bodies are the JSON text sent.
			await sql`CREATE TABLE idempotency_records (
				owner_id TEXT NOT NULL,
				key TEXT NOT NULL,
				fingerprint TEXT NOT NULL,
				status INTEGER,
				headers TEXT,
				body TEXT,
				locked_until INTEGER NOT NULL,
				expires_at INTEGER NOT NULL,
				PRIMARY KEY (owner_id, key)
			) WITHOUT ROWID, STRICT`.execute(database);
			await sql`CREATE INDEX idempotency_records_expiry ON idempotency_records (expires_at)`.execute(database);
		},
	},

	"0006_provider_keys": providerKeysMigration,

	"0007_usage_and_budgets": usageAndBudgetsMigration,

	"0008_response_cache": {
		async up(database: Kysely<unknown>) {
			// Keys are hashes of what was asked and by whom; values are the cached answers as JSON.
			await sql`CREATE TABLE response_cache (
				key TEXT PRIMARY KEY,
				value TEXT NOT NULL,
				expires_at INTEGER NOT NULL
			) WITHOUT ROWID, STRICT`.execute(database);
			await sql`CREATE INDEX response_cache_expiry ON response_cache (expires_at)`.execute(database);
		},
	},

	"0009_questions": questionsMigration,

	"0010_webhooks": webhooksMigration,
};

/**
 * Applies pending migrations and returns their names. All of them run in one IMMEDIATE
 * transaction: a failure leaves the schema as it was, and a second process starting on the same
 * file waits for the first and then finds nothing to do. (Kysely's SQLite adapter would run
 * them without a transaction and without a lock.) When nothing is pending no lock is taken, so
 * processes opening an up-to-date file never wait for each other. The caller must keep other
 * writers of this connection away meanwhile (see WriteQueue.exclusive).
 */
export async function migrateSqliteDatabase(
	database: Database,
	migrations: Readonly<Record<string, Migration>> = sqliteMigrations,
): Promise<string[]> {
	// The Kysely instance only borrows the connection; it is never destroyed because that would
	// close the database.
	const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
	const provider: MigrationProvider = { getMigrations: async () => migrations };
	const migrator = new Migrator({ db: kysely, provider });
	if ((await migrator.getMigrations()).every((migration) => migration.executedAt !== undefined)) {
		return [];
	}
	database.exec("BEGIN IMMEDIATE");
	let outcome: Awaited<ReturnType<Migrator["migrateToLatest"]>>;
	try {
		outcome = await migrator.migrateToLatest();
	} catch (error) {
		rollbackIfOpen(database);
		throw error;
	}
	if (outcome.error !== undefined) {
		rollbackIfOpen(database);
		const failed = outcome.results?.find((result) => result.status === "Error")?.migrationName ?? "setup";
		throw new Error(`SQLite migration ${failed} failed`, { cause: outcome.error });
	}
	database.exec("COMMIT");
	return (outcome.results ?? []).map((result) => result.migrationName);
}

function rollbackIfOpen(database: Database): void {
	if (database.inTransaction) {
		database.exec("ROLLBACK");
	}
}
