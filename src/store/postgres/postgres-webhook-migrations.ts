import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Users' webhooks and their delivery log. Registered in postgres-migrations.ts as "0010_webhooks",
 * the same content as on SQLite.
 */
export const webhooksMigration: Migration = {
	async up(database: Kysely<unknown>) {
		await sql`CREATE TABLE webhooks (
			id text COLLATE "C" PRIMARY KEY,
			user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
			url text NOT NULL,
			events jsonb NOT NULL,
			description text,
			secret_ciphertext bytea NOT NULL,
			secret_iv bytea NOT NULL,
			secret_auth_tag bytea NOT NULL,
			wrapped_key bytea NOT NULL,
			master_key_id text NOT NULL,
			enabled boolean NOT NULL,
			consecutive_failures integer NOT NULL,
			disabled_reason text,
			created_at bigint NOT NULL,
			updated_at bigint NOT NULL
		)`.execute(database);
		// Every event looks up its user's webhooks.
		await sql`CREATE INDEX webhooks_user ON webhooks (user_id, created_at)`.execute(database);
		await sql`CREATE TABLE webhook_deliveries (
			id text COLLATE "C" PRIMARY KEY,
			webhook_id text COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
			user_id text COLLATE "C" NOT NULL,
			event_id text NOT NULL,
			event_type text NOT NULL,
			status text NOT NULL,
			attempts integer NOT NULL,
			response_status integer,
			error text,
			created_at bigint NOT NULL,
			updated_at bigint NOT NULL
		)`.execute(database);
		// The delivery log of one webhook, newest first (ids are UUIDv7, so they sort by time).
		await sql`CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id)`.execute(database);
	},
};
