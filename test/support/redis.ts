import { Redis } from "ioredis";

/** The Redis these machines run (../shared/STACK.md); REDIS_TEST_URL points elsewhere. */
export const testRedisUrl = process.env.REDIS_TEST_URL ?? "redis://127.0.0.1:6379";

/** Why Redis cannot be used here, or undefined when it answers PING. */
export async function redisUnavailableBecause(url = testRedisUrl): Promise<string | undefined> {
	const redis = new Redis(url, {
		lazyConnect: true,
		maxRetriesPerRequest: 0,
		connectTimeout: 1000,
		retryStrategy: () => null,
	});
	redis.on("error", () => {});
	try {
		await redis.connect();
		await redis.ping();
		return undefined;
	} catch (error) {
		return `no Redis at ${url}: ${(error as Error).message}`;
	} finally {
		redis.disconnect();
	}
}

/** Unique per test run, so runs sharing one Redis never see each other's keys. */
export const uniqueKeyPrefix = (label: string) =>
	`parley-test:${label}:${process.pid}:${Date.now()}:${Math.random().toString(36).slice(2, 8)}:`;

/** Deletes every key under a prefix (SCAN, not KEYS, to be gentle on a shared server). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
	let cursor = "0";
	do {
		const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
		cursor = next;
		if (keys.length > 0) await redis.del(...keys);
	} while (cursor !== "0");
}
