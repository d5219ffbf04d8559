import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";
import { redisUnavailableBecause, testRedisUrl, uniqueKeyPrefix } from "../support/redis.js";

// Real: Parley + SQLite over HTTP; REDIS_URL at a port nobody listens on (Redis down), and the
// real Redis at 127.0.0.1:6379 for the healthy case.

interface Readiness {
	status: string;
	checks: Record<string, { status: string; required: boolean; detail?: string }>;
}

/** A port that was free a moment ago and has no listener now. */
async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	await new Promise<void>((resolve) => server.close(() => resolve()));
	if (address === null || typeof address === "string") throw new Error("no port");
	return address.port;
}

describe("readiness per dependency", () => {
	describe("with Redis down", () => {
		let parley: RunningParley;
		beforeAll(async () => {
			parley = await startParley({
				REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
				REDIS_KEY_PREFIX: uniqueKeyPrefix("ready-down"),
			});
		});
		afterAll(() => parley?.close());

		it("answers 503 naming Redis, while storage, queue and provider checks are still reported", async () => {
			const ready = await apiClient(parley.url).get<Readiness>("/v1/ready");
			expect(ready.status, ready.text).toBe(503);
			expect(ready.body.status).toBe("not_ready");
			expect(ready.body.checks.redis).toMatchObject({ status: "failing", required: true });
			expect(ready.body.checks.storage).toMatchObject({ status: "ok", required: true, detail: "sqlite" });
			expect(ready.body.checks.queue?.required).toBe(true);
			expect(ready.body.checks["provider:mock"]).toMatchObject({ status: "ok", required: false });
			expect(ready.body.checks.default_model?.status).toBe("ok");
		});

		it("reports the Redis connection as down in the metrics", async () => {
			const metrics = await apiClient(parley.url).get("/metrics");
			expect(metrics.text).toMatch(/^parley_redis_connected 0$/m);
		});

		it("still answers liveness", async () => {
			expect((await apiClient(parley.url).get("/v1/health")).status).toBe(200);
		});
	});

	describe("with Redis up", async () => {
		const unavailable = await redisUnavailableBecause();
		if (unavailable && process.env.CI === "true") throw new Error(unavailable);
		let parley: RunningParley;
		beforeAll(async () => {
			if (unavailable) return;
			parley = await startParley({ REDIS_URL: testRedisUrl, REDIS_KEY_PREFIX: uniqueKeyPrefix("ready-up") });
		});
		afterAll(() => parley?.close());

		it.skipIf(unavailable !== undefined)("is ready, with Redis and the BullMQ queue checked", async () => {
			const ready = await apiClient(parley.url).get<Readiness>("/v1/ready");
			expect(ready.status, ready.text).toBe(200);
			expect(ready.body.checks.redis).toMatchObject({ status: "ok", required: true });
			expect(ready.body.checks.queue).toMatchObject({ status: "ok", required: true });
			expect(ready.body.checks.queue?.detail).toMatch(/^bullmq: \d+ waiting, \d+ active$/);
			const metrics = await apiClient(parley.url).get("/metrics");
			expect(metrics.text).toMatch(/^parley_redis_connected 1$/m);
		});
	});

	it("without Redis reports no redis check and the embedded queue", async () => {
		const parley = await startParley();
		try {
			const ready = await apiClient(parley.url).get<Readiness>("/v1/ready");
			expect(ready.status).toBe(200);
			expect(ready.body.checks.redis).toBeUndefined();
			expect(ready.body.checks.queue?.detail).toMatch(/^embedded: 0 waiting, 0 active$/);
		} finally {
			await parley.close();
		}
	});
});
