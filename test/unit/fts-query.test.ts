import SqliteDatabase from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { buildKeywordMatch, partitionToken, quoteFtsString } from "../../src/store/sqlite/sqlite-fts-query.js";
import { porterStem } from "../../src/text/porter-stemmer.js";
import { craftedQueries } from "../contract/knowledge/knowledge-fixtures.js";

/** Every expression is run against a real FTS5 table built like the knowledge index. */
const database = new SqliteDatabase(":memory:");
database.exec(`CREATE VIRTUAL TABLE chunks USING fts5(scope_token, collection_token, title, body, tokenize = 'porter unicode61');
	CREATE VIRTUAL TABLE vocabulary USING fts5vocab(chunks, row)`);
const insert = database.prepare(
	"INSERT INTO chunks (rowid, scope_token, collection_token, title, body) VALUES (?, ?, ?, ?, ?)",
);
const rows: Array<[number, string, string, string, string]> = [
	[1, "user:alice", "notes", "Wing notes", "zeppelin secret wing title body scope"],
	[2, "user:bob", "notes", "Secret", "secret zeppelin wing NEAR scope user other"],
	[3, "shared:handbook", "handbook", "Handbook", "zeppelin handbook wing"],
];
for (const [rowid, scope, collection, title, body] of rows) {
	insert.run(rowid, partitionToken("scope", scope), partitionToken("collection", collection), title, body);
}
const search = database
	.prepare("SELECT rowid FROM chunks WHERE chunks MATCH ? ORDER BY bm25(chunks, 0, 0, 3, 1)")
	.pluck();
afterAll(() => database.close());

describe("FTS5 query building", () => {
	it("quotes terms, doubling quotes", () => {
		expect(quoteFtsString('say "hi"')).toBe('"say ""hi"""');
	});

	it("makes scope and collection tokens of digits only, distinct per kind and value", () => {
		const token = partitionToken("scope", "user:alice");
		expect(token).toMatch(/^[0-9]+$/);
		expect(porterStem(token)).toBe(token);
		expect(partitionToken("scope", "user:alice")).toBe(token);
		expect(partitionToken("collection", "user:alice")).not.toBe(token);
		expect(partitionToken("scope", "user:alicf")).not.toBe(token);
	});

	it("ORs the content words and ANDs them with the scopes and collections", () => {
		const match = buildKeywordMatch("What about the zeppelin wing?", ["user:alice", "shared:handbook"], undefined);
		expect(match.terms).toEqual(["zeppelin", "wing"]);
		expect(search.all(match.expression!)).toEqual(expect.arrayContaining([1, 3]));
		expect(search.all(match.expression!)).toHaveLength(2);
		const inCollection = buildKeywordMatch("zeppelin", ["user:alice", "shared:handbook"], ["handbook"]);
		expect(search.all(inCollection.expression!)).toEqual([3]);
	});

	it("has no expression when nothing is searchable", () => {
		for (const query of ["", "   ", "?!", "…"]) {
			expect(buildKeywordMatch(query, ["user:alice"], undefined).expression).toBeUndefined();
		}
		expect(buildKeywordMatch("wing", [], undefined).expression).toBeUndefined();
		expect(buildKeywordMatch("wing", ["user:alice"], []).expression).toBeUndefined();
	});

	it("turns every hostile input into a valid expression that stays inside its scope", () => {
		for (const query of craftedQueries) {
			const match = buildKeywordMatch(query, ["user:alice"], undefined);
			if (match.expression === undefined) continue;
			const found = search.all(match.expression) as number[];
			expect(
				found.every((rowid) => rowid === 1),
				query.slice(0, 40),
			).toBe(true);
		}
	});

	it("never lets a term match the scope or collection columns", () => {
		const aliceToken = partitionToken("scope", "user:alice");
		const handbookToken = partitionToken("collection", "handbook");
		for (const scopes of [["user:alice"], ["user:bob"]]) {
			const match = buildKeywordMatch(`${aliceToken} ${handbookToken}`, scopes, undefined);
			expect(search.all(match.expression!)).toEqual([]);
		}
	});
});
