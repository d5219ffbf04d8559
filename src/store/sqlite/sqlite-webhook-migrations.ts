import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/** Users' webhooks and their delivery log. Registered in sqlite-migrations.ts as "0010_webhooks". */
export const webhooksMigration: Migration = {
	async up(database: Kysely<unknown>) {
		await sql`CREATE TABLE webhooks (
			id TEXT PRIMARY KEY,
			user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
			url TEXT NOT NULL,
			events TEXT NOT NULL,
			description TEXT,
			secret_ciphertext BLOB NOT NULL,
			secret_iv BLOB NOT NULL,
			secret_auth_tag BLOB NOT NULL,
			wrapped_key BLOB NOT NULL,
			master_key_id TEXT NOT NULL,
			enabled INTEGER NOT NULL,
			consecutive_failures INTEGER NOT NULL,
			disabled_reason TEXT,
			created_at INTEGER NOT NULL,
			updated_at INTEGER NOT NULL
		) WITHOUT ROWID, STRICT`.execute(database);
		// Every event looks up its user's webhooks.
		await sql`CREATE INDEX webhooks_user ON webhooks (user_id, created_at)`.execute(database);
		await sql`CREATE TABLE webhook_deliveries (
			id TEXT PRIMARY KEY,
			webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
			user_id TEXT NOT NULL,
			event_id TEXT NOT NULL,
			event_type TEXT NOT NULL,
			status TEXT NOT NULL,
			attempts INTEGER NOT NULL,
			response_status INTEGER,
			error TEXT,
			created_at INTEGER NOT NULL,
			updated_at INTEGER NOT NULL
		) WITHOUT ROWID, STRICT`.execute(database);
		// The delivery log of one webhook, newest first (ids are UUIDv7, so they sort by time).
		await sql`CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id)`.execute(database);
	},
};
