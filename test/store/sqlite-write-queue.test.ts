import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import SqliteDatabase, { type Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWriteQueue, WriteQueueClosedError } from "../../src/store/sqlite/sqlite-write-queue.js";

describe("SQLite write queue", () => {
	let directory: string;
	let database: Database;
	// A second connection sees only what has been committed.
	let observer: Database;
	let batchSizes: number[];

	beforeEach(() => {
		directory = mkdtempSync(path.join(tmpdir(), "parley-write-queue-"));
		const filename = path.join(directory, "queue.db");
		database = new SqliteDatabase(filename);
		database.pragma("journal_mode = WAL");
		database.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE) STRICT");
		observer = new SqliteDatabase(filename, { readonly: true });
		batchSizes = [];
	});

	afterEach(() => {
		observer.close();
		if (database.open) {
			database.close();
		}
		rmSync(directory, { recursive: true, force: true });
	});

	function queue(maximumBatchSize?: number) {
		return createWriteQueue(database, {
			onBatchCommitted: (unitCount) => batchSizes.push(unitCount),
			...(maximumBatchSize === undefined ? {} : { maximumBatchSize }),
		});
	}

	const insert = (label: string) => () =>
		Number(database.prepare("INSERT INTO items (label) VALUES (?)").run(label).lastInsertRowid);
	const committedLabels = () =>
		observer
			.prepare<[], { label: string }>("SELECT label FROM items ORDER BY id")
			.all()
			.map((row) => row.label);

	it("commits writes queued in the same turn together in one transaction", async () => {
		const writeQueue = queue();
		const ids = await Promise.all(Array.from({ length: 200 }, (_, index) => writeQueue.run(insert(`item ${index}`))));
		expect(new Set(ids).size).toBe(200);
		expect(batchSizes).toEqual([200]);
		expect(committedLabels()).toHaveLength(200);
	});

	it("splits a burst into batches of at most maximumBatchSize", async () => {
		const writeQueue = queue(64);
		await Promise.all(Array.from({ length: 200 }, (_, index) => writeQueue.run(insert(`item ${index}`))));
		expect(batchSizes).toEqual([64, 64, 64, 8]);
	});

	it("resolves each caller only once its write is committed and visible to other connections", async () => {
		const writeQueue = queue();
		const settledBeforeCommit: string[] = [];
		const writes = ["a", "b", "c"].map((label) =>
			writeQueue.run(insert(label)).then(() => {
				settledBeforeCommit.push(...committedLabels().filter((committed) => committed === label));
			}),
		);
		// Nothing runs synchronously: the work waits for the next turn of the event loop.
		expect(committedLabels()).toEqual([]);
		await Promise.all(writes);
		expect(settledBeforeCommit.sort()).toEqual(["a", "b", "c"]);
	});

	it("rolls back only the failing unit; the others in the batch commit", async () => {
		const writeQueue = queue();
		const outcomes = await Promise.allSettled([
			writeQueue.run(insert("first")),
			writeQueue.run(() => {
				insert("half-written")();
				throw new Error("unit failed after writing");
			}),
			writeQueue.run(insert("first")), // violates UNIQUE(label)
			writeQueue.run(insert("last")),
		]);
		expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
		expect(batchSizes).toEqual([4]);
		expect(committedLabels()).toEqual(["first", "last"]);
	});

	it("runs single-statement units without a savepoint, still failing only the unit that fails", async () => {
		const writeQueue = queue();
		const outcomes = await Promise.allSettled([
			writeQueue.run(insert("one"), { singleStatement: true }),
			writeQueue.run(insert("one"), { singleStatement: true }), // violates UNIQUE(label)
			writeQueue.run(insert("two"), { singleStatement: true }),
			writeQueue.run(() => {
				insert("three")();
				throw new Error("a multi-statement unit still rolls back");
			}),
		]);
		expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected"]);
		expect(batchSizes).toEqual([4]);
		expect(committedLabels()).toEqual(["one", "two"]);
	});

	it("rejects each caller with its own error and resolves the others with their own values", async () => {
		const writeQueue = queue();
		const errorA = new Error("A");
		const errorB = new Error("B");
		const results = await Promise.allSettled([
			writeQueue.run(() => {
				throw errorA;
			}),
			writeQueue.run(() => "value 1"),
			writeQueue.run(() => {
				throw errorB;
			}),
			writeQueue.run(() => ({ value: 2 })),
		]);
		expect(results[0]).toEqual({ status: "rejected", reason: errorA });
		expect(results[1]).toEqual({ status: "fulfilled", value: "value 1" });
		expect(results[2]).toEqual({ status: "rejected", reason: errorB });
		expect(results[3]).toEqual({ status: "fulfilled", value: { value: 2 } });
	});

	it("rejects asynchronous work instead of committing half of it", async () => {
		const writeQueue = queue();
		const asyncWork = writeQueue.run(async () => {
			insert("inside async work")();
		});
		await expect(asyncWork).rejects.toThrow(/promise/);
		expect(committedLabels()).toEqual([]);
	});

	it("rejects every caller when the transaction itself cannot commit", async () => {
		const writeQueue = queue();
		// Closing the connection under the queue makes the shared BEGIN fail.
		const pending = [writeQueue.run(insert("x")), writeQueue.run(insert("y"))];
		database.close();
		const outcomes = await Promise.allSettled(pending);
		expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected"]);
	});

	it("holds batches while exclusive work runs, then commits them", async () => {
		const writeQueue = queue();
		let releaseExclusive = () => {};
		const exclusive = writeQueue.exclusive(
			() =>
				new Promise<void>((resolve) => {
					releaseExclusive = resolve;
				}),
		);
		const write = writeQueue.run(insert("waited"));
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(committedLabels()).toEqual([]);
		releaseExclusive();
		await exclusive;
		await write;
		expect(committedLabels()).toEqual(["waited"]);
	});

	it("close commits what is queued, then refuses new work", async () => {
		const writeQueue = queue();
		const queued = writeQueue.run(insert("before close"));
		await writeQueue.close();
		await expect(queued).resolves.toBeTypeOf("number");
		expect(committedLabels()).toEqual(["before close"]);
		await expect(writeQueue.run(insert("after close"))).rejects.toBeInstanceOf(WriteQueueClosedError);
	});
});
