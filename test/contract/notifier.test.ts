import { Redis } from "ioredis";
import { pino } from "pino";
import { describe, it } from "vitest";
import { createMemoryNotifier } from "../../src/notify/memory-notifier.js";
import { createRedisNotifier } from "../../src/notify/redis-notifier.js";
import { deleteKeys, redisUnavailableBecause, testRedisUrl, uniqueKeyPrefix } from "../support/redis.js";
import { describeNotifierContract } from "./notifier.contract.js";

const logger = pino({ level: "silent" });

describeNotifierContract("memory", async () => {
	const notifier = createMemoryNotifier();
	return { publisher: notifier, listener: notifier, cleanUp: () => notifier.close() };
});

// Real: Redis at 127.0.0.1:6379; two notifiers with their own connections, like two processes.
const redisMissing = await redisUnavailableBecause();
if (redisMissing === undefined) {
	describeNotifierContract("redis", async () => {
		const keyPrefix = uniqueKeyPrefix("notify");
		const connections = [new Redis(testRedisUrl), new Redis(testRedisUrl)];
		const [publisher, listener] = connections.map((connection) =>
			createRedisNotifier({ publisher: connection, url: testRedisUrl, keyPrefix, logger }),
		);
		return {
			publisher: publisher!,
			listener: listener!,
			async cleanUp() {
				await publisher!.close();
				await listener!.close();
				await deleteKeys(connections[0]!, keyPrefix);
				for (const connection of connections) connection.disconnect();
			},
		};
	});
} else if (process.env.CI === "true") {
	describe("notifier contract: redis", () => {
		it("runs under CI", () => {
			throw new Error(`Redis is required under CI=true: ${redisMissing}`);
		});
	});
} else {
	describe.skip(`notifier contract: redis (${redisMissing})`, () => {
		it("needs Redis", () => {});
	});
}
