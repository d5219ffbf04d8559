import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * The cost of each interaction and per-user budget overrides. Registered in sqlite-migrations.ts
 * as "0007_usage_and_budgets".
 */
export const usageAndBudgetsMigration: Migration = {
	async up(database: Kysely<unknown>) {
		// Calls made before costs were recorded keep NULL: their price is not known, and usage
		// reports count them as unpriced rather than guessing today's price.
		await database.schema.alterTable("interactions").addColumn("cost_micro_usd", "integer").execute();
		// Serves operators' usage reports across users; one user's reports use interactions_user_created.
		await database.schema.createIndex("interactions_created").on("interactions").column("created_at").execute();

		await database.schema
			.createTable("user_budgets")
			.addColumn("user_id", "text", (column) => column.primaryKey())
			.addColumn("daily_tokens", "integer", (column) => column.check(sql`daily_tokens >= 0`))
			.addColumn("monthly_tokens", "integer", (column) => column.check(sql`monthly_tokens >= 0`))
			.addColumn("daily_micro_usd", "integer", (column) => column.check(sql`daily_micro_usd >= 0`))
			.addColumn("monthly_micro_usd", "integer", (column) => column.check(sql`monthly_micro_usd >= 0`))
			.addColumn("updated_at", "integer", (column) => column.notNull())
			.modifyEnd(sql`strict, without rowid`)
			.execute();
	},
};
