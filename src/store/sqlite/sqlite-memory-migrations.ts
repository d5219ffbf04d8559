import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * User memories, and the per-user switch that lets Parley learn them. Registered in
 * sqlite-migrations.ts as "0004_memories".
 */
export const memoriesMigration: Migration = {
	async up(database: Kysely<unknown>) {
		// Existing accounts keep the documented default: memory on until the user turns it off.
		await database.schema
			.alterTable("users")
			.addColumn("memory_enabled", "integer", (column) =>
				column.notNull().defaultTo(1).check(sql`memory_enabled in (0, 1)`),
			)
			.execute();

		await database.schema
			.createTable("memories")
			.addColumn("id", "text", (column) => column.primaryKey())
			.addColumn("user_id", "text", (column) => column.notNull())
			.addColumn("text", "text", (column) => column.notNull())
			.addColumn("kind", "text", (column) => column.notNull().check(sql`kind in ('fact', 'preference')`))
			.addColumn("source_interaction_id", "text")
			// Float32 values in the machine's byte order (little-endian on every platform Node supports).
			.addColumn("vector", "blob", (column) => column.notNull())
			.addColumn("embedder_id", "text", (column) => column.notNull())
			.addColumn("created_at", "integer", (column) => column.notNull())
			.addColumn("updated_at", "integer", (column) => column.notNull())
			// Clustered on the time-ordered UUIDv7 id, like conversations and interactions.
			.modifyEnd(sql`strict, without rowid`)
			.execute();
		// Serves the user's list, newest first, its cursor seeks, deleteAll and the similarity scan.
		await database.schema
			.createIndex("memories_user_created")
			.on("memories")
			.columns(["user_id", "created_at desc", "id desc"])
			.execute();
		// Serves the list filtered by kind and "all preferences" without reading the user's facts.
		await database.schema
			.createIndex("memories_user_kind_created")
			.on("memories")
			.columns(["user_id", "kind", "created_at desc", "id desc"])
			.execute();
	},
};
