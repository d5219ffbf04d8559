import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, it } from "vitest";
import { createRedisIdempotencyRecords } from "../../src/idempotency/redis-idempotency-records.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { dynamoStoreFactory } from "../support/dynalite.js";
import { describeWithPostgres } from "../support/postgres.js";
import { deleteKeys, redisUnavailableBecause, testRedisUrl, uniqueKeyPrefix } from "../support/redis.js";
import { describeIdempotencyContract } from "./idempotency.contract.js";

const directory = mkdtempSync(path.join(tmpdir(), "parley-idempotency-contract-"));
let created = 0;
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describeIdempotencyContract("sqlite", async () => {
	created += 1;
	const store = await createSqliteStore({ filename: path.join(directory, `records-${created}.db`) });
	return { records: store.idempotency, close: () => store.close() };
});

const redisMissing = await redisUnavailableBecause();
if (redisMissing === undefined) {
	describeIdempotencyContract("redis", async () => {
		const redis = new Redis(testRedisUrl);
		const keyPrefix = uniqueKeyPrefix("idempotency");
		return {
			records: createRedisIdempotencyRecords({ redis, keyPrefix }),
			close: async () => {
				await deleteKeys(redis, keyPrefix);
				redis.disconnect();
			},
		};
	});
} else if (process.env.CI === "true") {
	describe("idempotency records contract: redis", () => {
		it("runs under CI", () => {
			throw new Error(`Redis is required under CI=true: ${redisMissing}`);
		});
	});
}

await describeWithPostgres("idempotency records contract", (createFreshStore) =>
	describeIdempotencyContract("postgres", async () => {
		const store = await createFreshStore();
		return { records: store.idempotency, close: () => store.close() };
	}),
);

const freshDynamoStore = dynamoStoreFactory();
describeIdempotencyContract("dynamodb", async () => {
	const store = await freshDynamoStore();
	return { records: store.idempotency, close: () => store.close() };
});
