import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Users' own provider keys, envelope-encrypted (src/provider-keys/envelope.ts). Registered in
 * postgres-migrations.ts as "0006_provider_keys", the same content as on SQLite.
 */
export const providerKeysMigration: Migration = {
	async up(database: Kysely<unknown>) {
		// Byte-order collation: rotation pages through (user_id, provider) as SQLite orders them.
		await sql`CREATE TABLE provider_keys (
			user_id text COLLATE "C" NOT NULL,
			provider text COLLATE "C" NOT NULL,
			ciphertext bytea NOT NULL,
			iv bytea NOT NULL,
			auth_tag bytea NOT NULL,
			wrapped_key bytea NOT NULL,
			master_key_id text NOT NULL,
			last_four text NOT NULL,
			base_url text,
			created_at bigint NOT NULL,
			updated_at bigint NOT NULL,
			-- One key per user and provider; the user's lookup on the chat path is a primary-key seek.
			PRIMARY KEY (user_id, provider)
		)`.execute(database);
		// Rotation finds the records still wrapped by an older master key.
		await sql`CREATE INDEX provider_keys_master_key ON provider_keys (master_key_id)`.execute(database);
	},
};
