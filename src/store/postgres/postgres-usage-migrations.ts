import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * The cost of each interaction and per-user budget overrides. Registered in postgres-migrations.ts
 * as "0007_usage_and_budgets", the same content as on SQLite.
 */
export const usageAndBudgetsMigration: Migration = {
	async up(database: Kysely<unknown>) {
		// Calls made before costs were recorded keep NULL: their price is not known, and usage
		// reports count them as unpriced rather than guessing today's price.
		await sql`ALTER TABLE interactions ADD COLUMN cost_micro_usd bigint`.execute(database);
		// Serves operators' usage reports across users; one user's reports use interactions_user_created.
		await sql`CREATE INDEX interactions_created ON interactions (created_at)`.execute(database);

		await sql`CREATE TABLE user_budgets (
			user_id text COLLATE "C" PRIMARY KEY,
			daily_tokens bigint CHECK (daily_tokens >= 0),
			monthly_tokens bigint CHECK (monthly_tokens >= 0),
			daily_micro_usd bigint CHECK (daily_micro_usd >= 0),
			monthly_micro_usd bigint CHECK (monthly_micro_usd >= 0),
			updated_at bigint NOT NULL
		)`.execute(database);
	},
};
