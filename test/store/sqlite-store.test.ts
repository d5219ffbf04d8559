import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { type Kysely, sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateSqliteDatabase, sqliteMigrations } from "../../src/store/sqlite/sqlite-migrations.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { aUser } from "../contract/store/fixtures.js";

/** SQLite-specific behaviour the port contract cannot see: files, pragmas, migrations. */
describe("SQLite store", () => {
	let directory: string;
	let filename: string;

	beforeEach(() => {
		directory = mkdtempSync(path.join(tmpdir(), "parley-sqlite-store-"));
		filename = path.join(directory, "nested", "deeper", "parley.db");
	});

	afterEach(() => {
		rmSync(directory, { recursive: true, force: true });
	});

	function inspect<T>(read: (database: SqliteDatabase.Database) => T): T {
		const database = new SqliteDatabase(filename, { readonly: true });
		try {
			return read(database);
		} finally {
			database.close();
		}
	}

	it("creates the directory, uses WAL, records every migration, and keeps data across reopening", async () => {
		const user = aUser();
		const first = await createSqliteStore({ filename });
		await first.users.create(user);
		await first.close();
		await first.close();

		expect(inspect((database) => database.pragma("journal_mode", { simple: true }))).toBe("wal");
		const applied = inspect((database) =>
			database.prepare<[], { name: string }>("SELECT name FROM kysely_migration ORDER BY name").all(),
		);
		expect(applied.map((row) => row.name)).toEqual(Object.keys(sqliteMigrations).sort());

		const second = await createSqliteStore({ filename });
		expect(await second.users.findById(user.id)).toEqual({ ...user, updatedAt: user.createdAt });
		await second.close();
	});

	it("opens an unmigrated file without migrating when asked, and works once migrate() has run", async () => {
		const store = await createSqliteStore({ filename, migrate: false });
		await expect(store.users.findById("x")).rejects.toThrow(/no such table/);
		await store.migrate();
		expect(await store.users.findById("x")).toBeUndefined();
		await store.close();
	});

	it("lets a second connection open an up-to-date file while the first is in use", async () => {
		const first = await createSqliteStore({ filename });
		const second = await createSqliteStore({ filename });
		const user = aUser();
		await first.users.create(user);
		expect((await second.users.findById(user.id))?.id).toBe(user.id);
		await Promise.all([first.close(), second.close()]);
	});

	it("applies migrations all or nothing", async () => {
		const database = new SqliteDatabase(filename.replace("nested/deeper/", ""));
		const failing = {
			...sqliteMigrations,
			"9999_broken": {
				async up(kysely: Kysely<unknown>) {
					await sql`CREATE TABLE half_done (id INTEGER)`.execute(kysely);
					await sql`THIS IS NOT SQL`.execute(kysely);
				},
			},
		};
		await expect(migrateSqliteDatabase(database, failing)).rejects.toThrow(/9999_broken/);
		const tables = database
			.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
			.all()
			.map((row) => row.name);
		expect(tables).not.toContain("users");
		expect(tables).not.toContain("half_done");
		expect(database.inTransaction).toBe(false);

		expect(await migrateSqliteDatabase(database)).toEqual(Object.keys(sqliteMigrations).sort());
		expect(await migrateSqliteDatabase(database)).toEqual([]);
		database.close();
	});
});
