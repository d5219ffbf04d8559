import type { Redis } from "ioredis";
import type { ClaimOutcome, IdempotencyRepository, StoredResponse } from "../store/idempotency-port.js";

/**
 * Idempotency records in Redis (with REDIS_URL): one hash per caller and key, changed only by
 * scripts, so concurrent claims from any number of processes see one winner. Redis expires each
 * record itself at its end of life; the `now` the port passes decides what counts as expired,
 * exactly as in the store implementations.
 */

const claimScript = `
local record = redis.call('HMGET', KEYS[1], 'fingerprint', 'status', 'headers', 'body', 'lockedUntil', 'expiresAt')
local now = tonumber(ARGV[2])
local dead = record[1] == false or tonumber(record[6]) <= now or (record[2] == false and tonumber(record[5]) <= now)
if dead then
	redis.call('DEL', KEYS[1])
	redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1], 'lockedUntil', ARGV[3], 'expiresAt', ARGV[3])
	redis.call('PEXPIREAT', KEYS[1], ARGV[3])
	return { 'claimed' }
end
if record[1] ~= ARGV[1] then return { 'mismatch' } end
if record[2] == false then return { 'in-progress', record[5] } end
return { 'completed', record[2], record[3], record[4] }
`;

const completeScript = `
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'status') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'headers', ARGV[2], 'body', ARGV[3], 'expiresAt', ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1
`;

const releaseScript = `
if redis.call('HEXISTS', KEYS[1], 'status') == 1 then return 0 end
return redis.call('DEL', KEYS[1])
`;

const purgeScript = `
local purged = 0
for _, key in ipairs(KEYS) do
	local expiresAt = redis.call('HGET', key, 'expiresAt')
	if expiresAt and tonumber(expiresAt) <= tonumber(ARGV[1]) then purged = purged + redis.call('DEL', key) end
end
return purged
`;

type RedisWithScripts = Redis & {
	parleyIdempotencyClaim(key: string, ...arguments_: Array<string | number>): Promise<string[]>;
	parleyIdempotencyComplete(key: string, ...arguments_: Array<string | number>): Promise<number>;
	parleyIdempotencyRelease(key: string): Promise<number>;
	parleyIdempotencyPurge(count: number, ...keysAndArguments: Array<string | number>): Promise<number>;
};

export function createRedisIdempotencyRecords(options: { redis: Redis; keyPrefix: string }): IdempotencyRepository {
	const redis = options.redis as RedisWithScripts;
	if (typeof redis.parleyIdempotencyClaim !== "function") {
		redis.defineCommand("parleyIdempotencyClaim", { numberOfKeys: 1, lua: claimScript });
		redis.defineCommand("parleyIdempotencyComplete", { numberOfKeys: 1, lua: completeScript });
		redis.defineCommand("parleyIdempotencyRelease", { numberOfKeys: 1, lua: releaseScript });
		redis.defineCommand("parleyIdempotencyPurge", { lua: purgeScript });
	}
	const prefix = `${options.keyPrefix}idempotency:`;
	// Owner ids and keys are visible ASCII; the separator cannot occur in an owner id.
	const recordKey = (ownerId: string, key: string) => `${prefix}${ownerId}\u0000${key}`;

	return {
		async claim({ ownerId, key, fingerprint, now, lockedUntil }): Promise<ClaimOutcome> {
			const reply = await redis.parleyIdempotencyClaim(recordKey(ownerId, key), fingerprint, now, lockedUntil);
			switch (reply[0]) {
				case "claimed":
					return { state: "claimed" };
				case "mismatch":
					return { state: "mismatch" };
				case "in-progress":
					return { state: "in-progress", lockedUntil: Number(reply[1]) };
				default: {
					const response: StoredResponse = {
						status: Number(reply[1]),
						headers: JSON.parse(reply[2] ?? "{}") as Record<string, string>,
						body: reply[3] ?? "",
					};
					return { state: "completed", response };
				}
			}
		},

		async complete(ownerId, key, response, expiresAt) {
			await redis.parleyIdempotencyComplete(
				recordKey(ownerId, key),
				response.status,
				JSON.stringify(response.headers),
				response.body,
				expiresAt,
			);
		},

		async release(ownerId, key) {
			await redis.parleyIdempotencyRelease(recordKey(ownerId, key));
		},

		async purgeExpired(now) {
			// Redis drops records at their expiry by itself; this sweep only matters when the callers'
			// clock runs ahead of Redis'. SCAN keeps it incremental.
			let purged = 0;
			let cursor = "0";
			do {
				const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
				cursor = next;
				if (keys.length > 0) purged += await redis.parleyIdempotencyPurge(keys.length, ...keys, now);
			} while (cursor !== "0");
			return purged;
		},
	};
}
