import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createMemoryKeyValueCache } from "../../src/cache/memory-key-value-cache.js";
import { createRedisKeyValueCache } from "../../src/cache/redis-key-value-cache.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { dynamoStoreFactory } from "../support/dynalite.js";
import { describeWithPostgres } from "../support/postgres.js";
import { deleteKeys, redisUnavailableBecause, testRedisUrl, uniqueKeyPrefix } from "../support/redis.js";
import { describeKeyValueCacheContract } from "./key-value-cache.contract.js";

describeKeyValueCacheContract("memory", async () => {
	const cache = createMemoryKeyValueCache({ maxEntries: 100 });
	return { cache, close: () => cache.close() };
});

const directory = mkdtempSync(path.join(tmpdir(), "parley-cache-contract-"));
let created = 0;
afterAll(() => rmSync(directory, { recursive: true, force: true }));
describeKeyValueCacheContract("sqlite", async () => {
	created += 1;
	const store = await createSqliteStore({ filename: path.join(directory, `cache-${created}.db`) });
	return { cache: store.responseCache, close: () => store.close() };
});

await describeWithPostgres("key-value cache contract", (createFreshStore) =>
	describeKeyValueCacheContract("postgres", async () => {
		const store = await createFreshStore();
		return { cache: store.responseCache, close: () => store.close() };
	}),
);

const redisMissing = await redisUnavailableBecause();
if (redisMissing === undefined) {
	describeKeyValueCacheContract("redis", async () => {
		const redis = new Redis(testRedisUrl);
		const keyPrefix = uniqueKeyPrefix("cache");
		return {
			cache: createRedisKeyValueCache({ redis, keyPrefix }),
			close: async () => {
				await deleteKeys(redis, keyPrefix);
				redis.disconnect();
			},
		};
	});
} else if (process.env.CI === "true") {
	describe("key-value cache contract: redis", () => {
		it("runs under CI", () => {
			throw new Error(`Redis is required under CI=true: ${redisMissing}`);
		});
	});
}

describe("the memory cache evicts the least recently used entry", () => {
	it("keeps at most maxEntries", async () => {
		const cache = createMemoryKeyValueCache({ maxEntries: 2 });
		await cache.set("a", "1", 60_000);
		await cache.set("b", "2", 60_000);
		await cache.get("a");
		await cache.set("c", "3", 60_000);
		expect(await cache.get("b")).toBeUndefined();
		expect(await cache.get("a")).toBe("1");
		expect(await cache.get("c")).toBe("3");
	});
});

const freshDynamoStore = dynamoStoreFactory();
describeKeyValueCacheContract("dynamodb", async () => {
	const store = await freshDynamoStore();
	return { cache: store.responseCache, close: () => store.close() };
});
