import type { Redis } from "ioredis";
import { decide, type RateLimitStore, RateLimitStoreError } from "./rate-limit-port.js";

/**
 * All counters of a hit are read and, when each has room, incremented in one script: Redis runs
 * scripts atomically, so any number of Parley processes share exact limits. Returns
 * [allowed, count1..countN, pttl1..pttlN].
 */
const hitScript = `
local n = #KEYS
local counts = {}
local ttls = {}
local allowed = 1
for i = 1, n do
	counts[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
	ttls[i] = redis.call('PTTL', KEYS[i])
	if counts[i] >= tonumber(ARGV[2 * i - 1]) then allowed = 0 end
end
if allowed == 1 then
	for i = 1, n do
		counts[i] = redis.call('INCR', KEYS[i])
		if ttls[i] < 0 then
			redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
			ttls[i] = tonumber(ARGV[2 * i])
		end
	end
end
local result = { allowed }
for i = 1, n do result[#result + 1] = counts[i] end
for i = 1, n do result[#result + 1] = ttls[i] end
return result
`;

type RedisWithHit = Redis & { parleyRateLimitHit(...arguments_: Array<string | number>): Promise<number[]> };

export function createRedisRateLimitStore(options: { redis: Redis; keyPrefix: string }): RateLimitStore {
	const redis = options.redis as RedisWithHit;
	if (typeof redis.parleyRateLimitHit !== "function") {
		// defineCommand sends EVALSHA, falling back to EVAL once per connection.
		redis.defineCommand("parleyRateLimitHit", { lua: hitScript });
	}
	return {
		async hit(counters) {
			const keys = counters.map((counter) => `${options.keyPrefix}ratelimit:${counter.key}`);
			const windowArguments = counters.flatMap((counter) => [counter.window.limit, counter.window.windowMs]);
			let reply: number[];
			try {
				reply = await redis.parleyRateLimitHit(keys.length, ...keys, ...windowArguments);
			} catch (error) {
				throw new RateLimitStoreError("the rate limit counters in Redis could not be reached", { cause: error });
			}
			const n = counters.length;
			return decide(counters, reply.slice(1, 1 + n), reply.slice(1 + n, 1 + 2 * n), reply[0] === 1);
		},
		async close() {},
	};
}
