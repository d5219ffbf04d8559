import { Redis } from "ioredis";
import { describe, it } from "vitest";
import { createMemoryRateLimitStore } from "../../src/ratelimit/memory-rate-limit-store.js";
import { createRedisRateLimitStore } from "../../src/ratelimit/redis-rate-limit-store.js";
import { deleteKeys, redisUnavailableBecause, testRedisUrl, uniqueKeyPrefix } from "../support/redis.js";
import { describeRateLimitContract } from "./rate-limit.contract.js";

describeRateLimitContract("memory", async () => {
	const store = createMemoryRateLimitStore();
	return { store, usesRealTime: false, close: () => store.close() };
});

const redisMissing = await redisUnavailableBecause();
if (redisMissing === undefined) {
	describeRateLimitContract("redis", async () => {
		const redis = new Redis(testRedisUrl);
		const keyPrefix = uniqueKeyPrefix("ratelimit");
		const store = createRedisRateLimitStore({ redis, keyPrefix });
		return {
			store,
			usesRealTime: true,
			close: async () => {
				await deleteKeys(redis, keyPrefix);
				await store.close();
				redis.disconnect();
			},
		};
	});
} else if (process.env.CI === "true") {
	describe("rate limit store contract: redis", () => {
		it("runs under CI", () => {
			throw new Error(`Redis is required under CI=true: ${redisMissing}`);
		});
	});
} else {
	describe.skip(`rate limit store contract: redis (${redisMissing})`, () => {
		it("needs Redis", () => {});
	});
}
