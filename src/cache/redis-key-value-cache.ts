import type { Redis } from "ioredis";
import type { KeyValueCache } from "./key-value-cache-port.js";

/** Entries expire by Redis' own PX; memory limits are Redis' (maxmemory-policy). */
export function createRedisKeyValueCache(options: { redis: Redis; keyPrefix: string }): KeyValueCache {
	const { redis } = options;
	const prefix = `${options.keyPrefix}cache:`;
	return {
		async get(key) {
			return (await redis.get(prefix + key)) ?? undefined;
		},
		async set(key, value, ttlMs) {
			await redis.set(prefix + key, value, "PX", Math.max(1, Math.round(ttlMs)));
		},
		async close() {},
	};
}
