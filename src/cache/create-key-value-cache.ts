import type { Redis } from "ioredis";
import type { Store } from "../store/store-port.js";
import type { KeyValueCache } from "./key-value-cache-port.js";
import { createMemoryKeyValueCache } from "./memory-key-value-cache.js";
import { createRedisKeyValueCache } from "./redis-key-value-cache.js";

/** The response cache's storage as RESPONSE_CACHE_STORE says (config checks Redis is there for "redis"). */
export function createKeyValueCache(options: {
	kind: "memory" | "sql" | "redis";
	maxEntries: number;
	store: Store;
	redis: { connection: Redis; keyPrefix: string } | undefined;
}): KeyValueCache {
	if (options.kind === "sql") return options.store.responseCache;
	if (options.kind === "redis" && options.redis !== undefined) {
		return createRedisKeyValueCache({ redis: options.redis.connection, keyPrefix: options.redis.keyPrefix });
	}
	return createMemoryKeyValueCache({ maxEntries: options.maxEntries });
}
