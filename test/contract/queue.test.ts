import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { pino } from "pino";
import { describe, it } from "vitest";
import { createBullmqQueue } from "../../src/queue/bullmq/bullmq-queue.js";
import { createEmbeddedQueue } from "../../src/queue/embedded/embedded-queue.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { describeWithPostgres } from "../support/postgres.js";
import { deleteKeys, redisUnavailableBecause, testRedisUrl, uniqueKeyPrefix } from "../support/redis.js";
import { describeQueueContract } from "./queue.contract.js";

const logger = pino({ level: "silent" });

// Real: the embedded queue on a SQLite file and on PostgreSQL (a schema of its own per test);
// BullMQ on the Redis at 127.0.0.1:6379.
describeQueueContract("embedded (sqlite)", async (settings) => {
	const directory = mkdtempSync(path.join(tmpdir(), "parley-queue-"));
	const store = await createSqliteStore({ filename: path.join(directory, "queue.db") });
	const queue = createEmbeddedQueue({ jobs: store.jobs, queue: "contract", settings, logger });
	return {
		queue,
		async cleanUp() {
			await queue.close();
			await store.close();
			rmSync(directory, { recursive: true, force: true });
		},
	};
});

await describeWithPostgres("queue contract: embedded", (createFreshStore) =>
	describeQueueContract("embedded (postgres)", async (settings) => {
		const store = await createFreshStore();
		const queue = createEmbeddedQueue({ jobs: store.jobs, queue: "contract", settings, logger });
		return {
			queue,
			async cleanUp() {
				await queue.close();
				await store.close();
			},
		};
	}),
);

const redisMissing = await redisUnavailableBecause();
if (redisMissing === undefined) {
	describeQueueContract("bullmq (redis)", async (settings) => {
		const keyPrefix = uniqueKeyPrefix("queue");
		const queue = createBullmqQueue({ url: testRedisUrl, keyPrefix, queue: "contract", settings, logger });
		return {
			queue,
			async cleanUp() {
				await queue.close();
				const redis = new Redis(testRedisUrl);
				await deleteKeys(redis, keyPrefix);
				redis.disconnect();
			},
		};
	});
} else if (process.env.CI === "true") {
	describe("queue contract: bullmq", () => {
		it("runs under CI", () => {
			throw new Error(`Redis is required under CI=true: ${redisMissing}`);
		});
	});
} else {
	describe.skip(`queue contract: bullmq (${redisMissing})`, () => {
		it("needs Redis", () => {});
	});
}
