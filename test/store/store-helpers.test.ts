import path from "node:path";
import { describe, expect, it } from "vitest";
import { createStore } from "../../src/store/create-store.js";
import { checkPageLimit, decodeCursor, encodeCursor, toPage } from "../../src/store/cursor.js";
import { newId } from "../../src/store/ids.js";
import { parseSqliteUrl } from "../../src/store/sqlite/sqlite-config.js";
import { InvalidCursorError } from "../../src/store/store-port.js";

describe("parseSqliteUrl", () => {
	it.each([
		["sqlite:./data/parley.db", path.resolve("data/parley.db")],
		["sqlite:data/parley.db", path.resolve("data/parley.db")],
		["sqlite:/srv/parley/parley.db", "/srv/parley/parley.db"],
		["sqlite:///srv/parley/parley.db", "/srv/parley/parley.db"],
		["sqlite://data/parley.db", path.resolve("data/parley.db")],
		["sqlite::memory:", ":memory:"],
		["sqlite://:memory:", ":memory:"],
		["SQLite:./x.db", path.resolve("x.db")],
	])("reads %s", (databaseUrl, filename) => {
		expect(parseSqliteUrl(databaseUrl)).toEqual({ filename });
	});

	it.each(["sqlite:", "sqlite://", "postgres://localhost/parley", "./parley.db"])("rejects %s", (databaseUrl) => {
		expect(() => parseSqliteUrl(databaseUrl)).toThrow(/sqlite/i);
	});
});

describe("cursors", () => {
	it("round-trips a position as an opaque base64url string", () => {
		const position = { timestamp: 1_750_000_000_123, id: newId() };
		const cursor = encodeCursor(position);
		expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
		expect(decodeCursor(cursor)).toEqual(position);
	});

	it.each([
		"",
		"%%%",
		"a".repeat(300),
		Buffer.from("{").toString("base64url"),
		Buffer.from("null").toString("base64url"),
		Buffer.from(JSON.stringify({ t: 1.5, i: "x" })).toString("base64url"),
		Buffer.from(JSON.stringify({ t: 1, i: "" })).toString("base64url"),
		Buffer.from(JSON.stringify({ t: 1 })).toString("base64url"),
	])("rejects %j with InvalidCursorError", (cursor) => {
		expect(() => decodeCursor(cursor)).toThrow(InvalidCursorError);
	});

	it("builds a page from limit + 1 rows", () => {
		const positionOf = (value: number) => ({ timestamp: value, id: `id-${value}` });
		expect(toPage([3, 2], 2, positionOf)).toEqual({ items: [3, 2], nextCursor: null });
		const page = toPage([3, 2, 1], 2, positionOf);
		expect(page.items).toEqual([3, 2]);
		expect(decodeCursor(page.nextCursor!)).toEqual({ timestamp: 2, id: "id-2" });
	});

	it("accepts limits from 1 to 100 only", () => {
		expect(() => checkPageLimit(1)).not.toThrow();
		expect(() => checkPageLimit(100)).not.toThrow();
		for (const limit of [0, 101, 2.5, Number.NaN]) {
			expect(() => checkPageLimit(limit)).toThrow(RangeError);
		}
	});
});

describe("newId", () => {
	it("makes UUIDv7 strings that sort in creation order, even many within one millisecond", () => {
		const ids = Array.from({ length: 5000 }, () => newId());
		for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		expect([...ids].sort()).toEqual(ids);
		expect(new Set(ids).size).toBe(ids.length);
		const timestamp = Number.parseInt(ids[0]!.replaceAll("-", "").slice(0, 12), 16);
		expect(Math.abs(timestamp - Date.now())).toBeLessThan(5000);
	});
});

describe("createStore", () => {
	it("opens SQLite for a sqlite: URL", async () => {
		const store = await createStore("sqlite::memory:");
		expect(store.capabilities.backend).toBe("sqlite");
		await store.ping();
		await store.close();
	});

	it("names the unsupported scheme and the supported ones, without echoing credentials", async () => {
		const failure = createStore("mysql://parley:hunter2@localhost:3306/parley");
		await expect(failure).rejects.toThrow(/"mysql:".*sqlite:.*postgres:\/\//);
		await expect(failure).rejects.not.toThrow(/hunter2/);
		// A postgres:// URL that cannot be opened: see test/postgres/postgres-store.test.ts.
		await expect(createStore("parley.db")).rejects.toThrow(/no scheme/);
	});
});
