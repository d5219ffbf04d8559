import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Users' own provider keys, envelope-encrypted (src/provider-keys/envelope.ts). Registered in
 * sqlite-migrations.ts as "0006_provider_keys".
 */
export const providerKeysMigration: Migration = {
	async up(database: Kysely<unknown>) {
		await database.schema
			.createTable("provider_keys")
			.addColumn("user_id", "text", (column) => column.notNull())
			.addColumn("provider", "text", (column) => column.notNull())
			.addColumn("ciphertext", "blob", (column) => column.notNull())
			.addColumn("iv", "blob", (column) => column.notNull())
			.addColumn("auth_tag", "blob", (column) => column.notNull())
			.addColumn("wrapped_key", "blob", (column) => column.notNull())
			.addColumn("master_key_id", "text", (column) => column.notNull())
			.addColumn("last_four", "text", (column) => column.notNull())
			.addColumn("base_url", "text")
			.addColumn("created_at", "integer", (column) => column.notNull())
			.addColumn("updated_at", "integer", (column) => column.notNull())
			// One key per user and provider; the user's lookup on the chat path is a primary-key seek.
			.addPrimaryKeyConstraint("provider_keys_pk", ["user_id", "provider"])
			.modifyEnd(sql`strict, without rowid`)
			.execute();
		// Rotation finds the records still wrapped by an older master key.
		await database.schema.createIndex("provider_keys_master_key").on("provider_keys").column("master_key_id").execute();
	},
};
