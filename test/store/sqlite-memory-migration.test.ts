import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateSqliteDatabase, sqliteMigrations } from "../../src/store/sqlite/sqlite-migrations.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { baseTime } from "../contract/store/fixtures.js";

/** What the memory migration does to a database that already has users (the contract only sees fresh ones). */
describe("SQLite memory migration", () => {
	let directory: string;
	let filename: string;

	beforeEach(() => {
		directory = mkdtempSync(path.join(tmpdir(), "parley-sqlite-memory-"));
		filename = path.join(directory, "parley.db");
	});

	afterEach(() => {
		rmSync(directory, { recursive: true, force: true });
	});

	it("turns memory on for users created before it existed, and refuses values other than 0 and 1", async () => {
		const database = new SqliteDatabase(filename);
		const earlier = Object.fromEntries(Object.entries(sqliteMigrations).filter(([name]) => name < "0004_memories"));
		await migrateSqliteDatabase(database, earlier);
		database
			.prepare(
				`INSERT INTO users (id, email, username, username_normalized, name, roles, preferences, default_model,
					password_hash, external_issuer, external_subject, created_at, updated_at)
				VALUES ('old-user', 'old@example.com', NULL, NULL, NULL, '["user"]', '{}', NULL, NULL, NULL, NULL, ?, ?)`,
			)
			.run(baseTime, baseTime);
		expect(await migrateSqliteDatabase(database)).toContain("0004_memories");
		expect(() => database.prepare("UPDATE users SET memory_enabled = 2 WHERE id = 'old-user'").run()).toThrow(
			/CHECK constraint/,
		);
		database.close();

		const store = await createSqliteStore({ filename });
		try {
			expect((await store.users.findById("old-user"))?.memoryEnabled).toBe(true);
		} finally {
			await store.close();
		}
	});
});
