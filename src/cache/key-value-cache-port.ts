/**
 * Where cached responses live: a string store with expiry. Implementations: in-process LRU
 * (memory-key-value-cache.ts), the SQL store's `response_cache` table, and Redis; each passes
 * test/contract/key-value-cache.contract.ts. A cache may forget anything at any time: callers
 * treat a failure to read as a miss and a failure to write as nothing.
 */
export interface KeyValueCache {
	get(key: string): Promise<string | undefined>;
	set(key: string, value: string, ttlMs: number): Promise<void>;
	close(): Promise<void>;
}
