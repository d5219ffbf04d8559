import type { Redis } from "ioredis";
import { createMemoryRateLimitStore } from "./memory-rate-limit-store.js";
import type { RateLimitStore } from "./rate-limit-port.js";
import { createRedisRateLimitStore } from "./redis-rate-limit-store.js";

/** Redis when the deployment has one (limits shared by every process), else in-process counters. */
export function createRateLimitStore(redis: { connection: Redis; keyPrefix: string } | undefined): RateLimitStore {
	return redis === undefined
		? createMemoryRateLimitStore()
		: createRedisRateLimitStore({ redis: redis.connection, keyPrefix: redis.keyPrefix });
}
