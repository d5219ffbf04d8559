import type { KeyValueCache } from "../../cache/key-value-cache-port.js";
import type { PostgresRepositoryDependencies } from "./postgres-repository-support.js";

/** Expired entries are skipped on read and swept now and then on write. */
const sweepEveryWrites = 500;

export function createPostgresResponseCacheRepository({ pool }: PostgresRepositoryDependencies): KeyValueCache {
	let writes = 0;
	return {
		async get(key) {
			const { rows } = await pool.query<{ value: string }>(
				"SELECT value FROM response_cache WHERE key = $1 AND expires_at > $2",
				[key, Date.now()],
			);
			return rows[0]?.value;
		},
		async set(key, value, ttlMs) {
			const now = Date.now();
			await pool.query(
				`INSERT INTO response_cache (key, value, expires_at) VALUES ($1, $2, $3)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
				[key, value, now + ttlMs],
			);
			if (++writes % sweepEveryWrites === 0)
				await pool.query("DELETE FROM response_cache WHERE expires_at <= $1", [now]);
		},
		async close() {},
	};
}
