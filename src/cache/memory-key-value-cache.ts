import { LRUCache } from "lru-cache";
import type { KeyValueCache } from "./key-value-cache-port.js";

/** Least recently used entries go first once `maxEntries` is reached; expired ones are never returned. */
export function createMemoryKeyValueCache(options: { maxEntries: number }): KeyValueCache {
	const entries = new LRUCache<string, string>({ max: options.maxEntries, ttlAutopurge: false });
	return {
		async get(key) {
			return entries.get(key);
		},
		async set(key, value, ttlMs) {
			entries.set(key, value, { ttl: ttlMs });
		},
		async close() {
			entries.clear();
		},
	};
}
