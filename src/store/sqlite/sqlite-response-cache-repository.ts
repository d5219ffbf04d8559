import type { KeyValueCache } from "../../cache/key-value-cache-port.js";
import { preparedOnFirstUse, type SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

/** Expired entries are skipped on read and swept now and then on write. */
const sweepEveryWrites = 500;

export function createSqliteResponseCacheRepository({
	database,
	writeQueue,
}: SqliteRepositoryDependencies): KeyValueCache {
	const statements = preparedOnFirstUse(() => ({
		get: database.prepare<[string, number], { value: string }>(
			"SELECT value FROM response_cache WHERE key = ? AND expires_at > ?",
		),
		set: database.prepare<[string, string, number]>(
			`INSERT INTO response_cache (key, value, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
		),
		sweep: database.prepare<[number]>("DELETE FROM response_cache WHERE expires_at <= ?"),
	}));
	let writes = 0;
	return {
		async get(key) {
			return statements().get.get(key, Date.now())?.value;
		},
		set(key, value, ttlMs) {
			return writeQueue.run(() => {
				const now = Date.now();
				statements().set.run(key, value, now + ttlMs);
				if (++writes % sweepEveryWrites === 0) statements().sweep.run(now);
			});
		},
		async close() {},
	};
}
