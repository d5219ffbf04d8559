import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/** User memories and the per-user switch (registered in postgres-migrations.ts as "0004_memories"). */
export const memoriesMigration: Migration = {
	async up(database: Kysely<unknown>) {
		// Existing accounts keep the documented default: memory on until the user turns it off.
		await sql`ALTER TABLE users ADD COLUMN memory_enabled boolean NOT NULL DEFAULT true`.execute(database);
		await sql`CREATE TABLE memories (
			id text COLLATE "C" PRIMARY KEY,
			user_id text COLLATE "C" NOT NULL,
			text text NOT NULL,
			kind text NOT NULL CHECK (kind IN ('fact', 'preference')),
			source_interaction_id text,
			-- Float32 values, little-endian, exactly as the SQLite store keeps them: a user's memories
			-- are scanned exactly (see postgres-memory-repository.ts), so no vector index is needed.
			vector bytea NOT NULL,
			embedder_id text NOT NULL,
			created_at bigint NOT NULL,
			updated_at bigint NOT NULL
		)`.execute(database);
		await sql`CREATE INDEX memories_user_created ON memories (user_id, created_at DESC, id DESC)`.execute(database);
		await sql`CREATE INDEX memories_user_kind_created ON memories (user_id, kind, created_at DESC, id DESC)`.execute(
			database,
		);
	},
};
