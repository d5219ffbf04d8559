import { type Kysely, sql } from "kysely";
import { type Migration, type MigrationProvider, Migrator } from "kysely/migration";
import { knowledgeMigration } from "./postgres-knowledge-migrations.js";
import { memoriesMigration } from "./postgres-memory-migrations.js";
import { providerKeysMigration } from "./postgres-provider-key-migrations.js";
import { questionsMigration } from "./postgres-question-migrations.js";
import { usageAndBudgetsMigration } from "./postgres-usage-migrations.js";
import { webhooksMigration } from "./postgres-webhook-migrations.js";

/**
 * The PostgreSQL schema, as versioned migrations defined in code (like sqlite-migrations.ts, with
 * the same names for the same content). Kysely's Migrator applies them in name order, inside one
 * transaction, while holding a PostgreSQL advisory lock: several processes starting at once
 * migrate once, the others wait and then find nothing to do.
 *
 * Rules: append with the number the SQLite side uses for the same change, never edit an applied
 * one, no down migrations. Timestamps are bigint epoch ms (read back as JavaScript numbers, see
 * postgres-store.ts), JSON is jsonb. Ids and other keys that order pages are `text COLLATE "C"`,
 * so ties sort by bytes as in SQLite whatever the database's collation.
 */
export const postgresMigrations: Readonly<Record<string, Migration>> = {
	"0001_users_and_credentials": {
		async up(database: Kysely<unknown>) {
			await sql`CREATE TABLE users (
				id text COLLATE "C" PRIMARY KEY,
				email text,
				username text,
				-- Lower-cased in JavaScript, as on SQLite, so both backends agree on which names collide.
				username_normalized text,
				name text,
				roles jsonb NOT NULL,
				preferences jsonb NOT NULL,
				default_model text,
				password_hash text,
				external_issuer text,
				external_subject text,
				created_at bigint NOT NULL,
				updated_at bigint NOT NULL
			)`.execute(database);
			await sql`CREATE UNIQUE INDEX users_email_unique ON users (lower(email))`.execute(database);
			await sql`CREATE UNIQUE INDEX users_username_unique ON users (username_normalized)`.execute(database);
			await sql`CREATE UNIQUE INDEX users_external_subject_unique ON users (external_issuer, external_subject)`.execute(
				database,
			);

			await sql`CREATE TABLE refresh_tokens (
				id text COLLATE "C" PRIMARY KEY,
				user_id text COLLATE "C" NOT NULL,
				family_id text COLLATE "C" NOT NULL,
				token_hash text NOT NULL,
				created_at bigint NOT NULL,
				expires_at bigint NOT NULL,
				used_at bigint,
				revoked_at bigint
			)`.execute(database);
			await sql`CREATE UNIQUE INDEX refresh_tokens_token_hash_unique ON refresh_tokens (token_hash)`.execute(database);
			await sql`CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)`.execute(database);
			await sql`CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)`.execute(database);

			await sql`CREATE TABLE api_keys (
				id text COLLATE "C" PRIMARY KEY,
				user_id text COLLATE "C" NOT NULL,
				name text NOT NULL,
				prefix text NOT NULL,
				last_four text NOT NULL,
				key_hash text NOT NULL,
				created_at bigint NOT NULL,
				expires_at bigint,
				last_used_at bigint,
				revoked_at bigint
			)`.execute(database);
			await sql`CREATE UNIQUE INDEX api_keys_key_hash_unique ON api_keys (key_hash)`.execute(database);
			await sql`CREATE INDEX api_keys_user ON api_keys (user_id)`.execute(database);
		},
	},

	"0002_conversations_and_interactions": {
		async up(database: Kysely<unknown>) {
			await sql`CREATE TABLE conversations (
				id text COLLATE "C" PRIMARY KEY,
				user_id text COLLATE "C" NOT NULL,
				title text NOT NULL,
				model text,
				prompt_tokens bigint NOT NULL,
				completion_tokens bigint NOT NULL,
				total_tokens bigint NOT NULL,
				interaction_count integer NOT NULL,
				created_at bigint NOT NULL,
				updated_at bigint NOT NULL
			)`.execute(database);
			// Serves the user's list, newest first, and its (updated_at, id) cursor seeks.
			await sql`CREATE INDEX conversations_user_updated ON conversations (user_id, updated_at DESC, id DESC)`.execute(
				database,
			);

			await sql`CREATE TABLE interactions (
				id text COLLATE "C" PRIMARY KEY,
				user_id text COLLATE "C" NOT NULL,
				conversation_id text COLLATE "C" REFERENCES conversations (id) ON DELETE CASCADE,
				api_key_id text,
				endpoint text NOT NULL,
				provider text NOT NULL,
				model text NOT NULL,
				system text,
				prompt text NOT NULL,
				response text NOT NULL,
				prompt_tokens bigint NOT NULL,
				completion_tokens bigint NOT NULL,
				total_tokens bigint NOT NULL,
				prompt_text_tokens bigint NOT NULL,
				usage_estimated boolean NOT NULL,
				latency_ms bigint NOT NULL,
				finish_reason text NOT NULL,
				request_id text,
				metadata jsonb,
				created_at bigint NOT NULL
			)`.execute(database);
			await sql`CREATE INDEX interactions_user_created ON interactions (user_id, created_at DESC, id DESC)`.execute(
				database,
			);
			// A conversation's recent turns, and the ON DELETE CASCADE lookup; partial like on SQLite.
			await sql`CREATE INDEX interactions_conversation_created ON interactions (conversation_id, created_at, id)
				WHERE conversation_id IS NOT NULL`.execute(database);
		},
	},

	"0003_knowledge": knowledgeMigration,

	"0004_memories": memoriesMigration,

	"0005_idempotency_records": {
		async up(database: Kysely<unknown>) {
			// status NULL: claimed, the first request still running. Bodies are the JSON text sent.
			await sql`CREATE TABLE idempotency_records (
				owner_id text COLLATE "C" NOT NULL,
				key text COLLATE "C" NOT NULL,
				fingerprint text NOT NULL,
				status integer,
				headers text,
				body text,
				locked_until bigint NOT NULL,
				expires_at bigint NOT NULL,
				PRIMARY KEY (owner_id, key)
			)`.execute(database);
			await sql`CREATE INDEX idempotency_records_expiry ON idempotency_records (expires_at)`.execute(database);
		},
	},

	"0006_provider_keys": providerKeysMigration,

	"0007_usage_and_budgets": usageAndBudgetsMigration,

	"0008_response_cache": {
		async up(database: Kysely<unknown>) {
			await sql`CREATE TABLE response_cache (
				key text COLLATE "C" PRIMARY KEY,
				value text NOT NULL,
				expires_at bigint NOT NULL
			)`.execute(database);
			await sql`CREATE INDEX response_cache_expiry ON response_cache (expires_at)`.execute(database);
		},
	},

	"0009_questions": questionsMigration,

	"0010_webhooks": webhooksMigration,
};

/**
 * Applies pending migrations and returns their names. Kysely's PostgreSQL adapter runs them in a
 * transaction (DDL is transactional here: a failure leaves the schema as it was) under an
 * advisory lock. The bookkeeping tables live in `schema`, else in the connection's current schema,
 * always named explicitly: Kysely otherwise takes a `kysely_migration` table of *any* schema in
 * the database for its own, and then cannot find it.
 */
export async function migratePostgresDatabase(
	kysely: Kysely<unknown>,
	schema: string | undefined,
	migrations: Readonly<Record<string, Migration>> = postgresMigrations,
): Promise<string[]> {
	const provider: MigrationProvider = { getMigrations: async () => migrations };
	const current = await sql<{ schema: string | null }>`SELECT current_schema() AS schema`.execute(kysely);
	const migrationTableSchema = schema ?? current.rows[0]?.schema ?? "public";
	// 0006 and 0007 were added to this list after 0008: a database migrated before then has 0008
	// applied and must still take them, which Kysely refuses unless told that order may differ.
	// (They touch tables 0008 does not, so applying them later gives the same schema.)
	const migrator = new Migrator({ db: kysely, provider, migrationTableSchema, allowUnorderedMigrations: true });
	const outcome = await migrator.migrateToLatest();
	if (outcome.error !== undefined) {
		const failed = outcome.results?.find((result) => result.status === "Error")?.migrationName ?? "setup";
		throw new Error(`PostgreSQL migration ${failed} failed`, { cause: outcome.error });
	}
	return (outcome.results ?? []).map((result) => result.migrationName);
}
