import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateSqliteDatabase, sqliteMigrations } from "../../src/store/sqlite/sqlite-migrations.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { baseTime } from "../contract/store/fixtures.js";

/** What the usage migration does to a database that already has interactions (the contract only sees fresh ones). */
describe("SQLite usage and budgets migration", () => {
	let directory: string;
	let filename: string;

	beforeEach(() => {
		directory = mkdtempSync(path.join(tmpdir(), "parley-sqlite-usage-"));
		filename = path.join(directory, "parley.db");
	});

	afterEach(() => {
		rmSync(directory, { recursive: true, force: true });
	});

	it("keeps earlier calls with their tokens and reports them as unpriced", async () => {
		const database = new SqliteDatabase(filename);
		const earlier = Object.fromEntries(
			Object.entries(sqliteMigrations).filter(([name]) => name < "0007_usage_and_budgets"),
		);
		await migrateSqliteDatabase(database, earlier);
		database
			.prepare(
				`INSERT INTO interactions (id, user_id, conversation_id, api_key_id, endpoint, provider, model, system, prompt,
					response, prompt_tokens, completion_tokens, total_tokens, prompt_text_tokens, usage_estimated, latency_ms,
					finish_reason, request_id, metadata, created_at)
				VALUES ('old-call', 'old-user', NULL, NULL, 'generate', 'openai', 'openai/gpt-4o-mini', NULL, 'Hi', 'Hello',
					10, 5, 15, 1, 0, 42, 'stop', NULL, NULL, ?)`,
			)
			.run(baseTime);
		expect(await migrateSqliteDatabase(database)).toContain("0007_usage_and_budgets");
		database.close();

		const store = await createSqliteStore({ filename });
		try {
			expect((await store.interactions.findById("old-user", "old-call"))?.costMicroUsd).toBeNull();
			expect(await store.usage.totals("old-user", { from: baseTime, to: baseTime + 1 })).toEqual({
				requests: 1,
				promptTokens: 10,
				completionTokens: 5,
				totalTokens: 15,
				costMicroUsd: 0,
				unpricedRequests: 1,
			});
		} finally {
			await store.close();
		}
	});
});
