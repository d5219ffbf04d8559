import type { KeyValueCache } from "../../cache/key-value-cache-port.js";
import type { ItemOperations } from "./dynamodb-items.js";
import { timeToLiveSeconds } from "./dynamodb-table.js";

/**
 * The response cache on DynamoDB (RESPONSE_CACHE_STORE=sql picks the store's own cache):
 * `CACHE#<key>` / `ENTRY` with the TTL attribute; reads ignore entries past their expiry, which
 * DynamoDB may not have deleted yet. Item size is capped at 400 KB: larger values are not cached
 * (a cache may forget anything).
 */

const maximumValueBytes = 350_000;
const keyOf = (key: string) => ({ pk: `CACHE#${key}`, sk: "ENTRY" });

export function createDynamoResponseCacheRepository(items: ItemOperations, now = () => Date.now()): KeyValueCache {
	return {
		async get(key) {
			const entry = await items.get<{ value: string; expiresAtMs: number }>(keyOf(key));
			return entry !== undefined && entry.expiresAtMs > now() ? entry.value : undefined;
		},

		async set(key, value, ttlMs) {
			if (Buffer.byteLength(value) > maximumValueBytes) return;
			const expiresAtMs = now() + ttlMs;
			await items.put({ ...keyOf(key), value, expiresAtMs, expiresAt: timeToLiveSeconds(expiresAtMs) });
		},

		async close() {},
	};
}
