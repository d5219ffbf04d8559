import { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * One ioredis connection for request-path work (rate limits). It fails fast instead of queueing:
 * while Redis is unreachable a command errors at once (no offline queue, one attempt, a short
 * timeout), so a request is never held hostage by a dead Redis; the caller decides what failing
 * means. It keeps reconnecting in the background.
 */
export function createRedisConnection(url: string, logger: Logger): Redis {
	const redis = new Redis(url, {
		enableOfflineQueue: false,
		maxRetriesPerRequest: 1,
		commandTimeout: 1000,
		connectTimeout: 2000,
		retryStrategy: (times) => Math.min(times * 200, 2000),
		lazyConnect: false,
	});
	let lastLoggedAt = 0;
	redis.on("error", (error: Error) => {
		// ioredis reports every failed reconnect; one line per 10 s is enough to notice.
		const now = Date.now();
		if (now - lastLoggedAt < 10_000) return;
		lastLoggedAt = now;
		logger.warn({ err: error }, "redis connection error");
	});
	return redis;
}
