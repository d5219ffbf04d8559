import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiClient, signUp } from "../support/http-client.js";
import { openLiveSocket } from "../support/live-client.js";
import { waitForQuestion } from "../support/questions.js";
import { deleteKeys, redisUnavailableBecause, testRedisUrl, uniqueKeyPrefix } from "../support/redis.js";
import { type ServerProcess, startServerProcess, startWorkerProcess } from "../support/server-process.js";

// Every process of a test shares the data directory (SQLite file, signing key) and the token
// issuer, like replicas of one deployment.
const sharedEnvironment = (dataDirectory: string) => ({
	DATA_DIR: dataDirectory,
	PUBLIC_URL: "http://parley.test",
	DEMO_KNOWLEDGE: "false",
	MEMORY_EXTRACTION: "rules",
	RATE_LIMIT_ENABLED: "false",
});

async function waitForStatus(url: string, id: string, token: string, status: string): Promise<void> {
	const client = apiClient(url);
	const deadline = Date.now() + 15_000;
	while ((await client.get<{ status: string }>(`/v1/questions/${id}`, { token })).body.status !== status) {
		if (Date.now() > deadline) throw new Error(`question ${id} never became ${status}`);
		await sleep(25);
	}
}

// Real: src/server.ts as separate Node processes on one SQLite file, with the embedded queue.
describe("a question whose server dies mid-job (embedded queue)", () => {
	let dataDirectory: string;
	const processes: ServerProcess[] = [];
	beforeAll(async () => {
		dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-questions-kill-"));
	});
	afterAll(async () => {
		for (const process of processes) await process.stop();
		await rm(dataDirectory, { recursive: true, force: true });
	});

	it("is answered once after a SIGKILL and a restart", async () => {
		const environment = { ...sharedEnvironment(dataDirectory), QUEUE_LEASE_MS: "1000" };
		// The model takes long enough for the kill to land mid-job.
		const doomed = await startServerProcess({ ...environment, MOCK_LLM_LATENCY_MS: "30000" });
		processes.push(doomed);
		const client = apiClient(doomed.url);
		const { accessToken } = await signUp(client, "survivor@example.com");
		const asked = await client.post<{ id: string }>(
			"/v1/questions",
			{ question: "Will I survive?" },
			{ token: accessToken },
		);
		expect(asked.status).toBe(202);
		await waitForStatus(doomed.url, asked.body.id, accessToken, "processing");
		await doomed.kill();

		const restarted = await startServerProcess(environment);
		processes.push(restarted);
		const restartedClient = apiClient(restarted.url);
		const answered = await waitForQuestion(restartedClient, asked.body.id, accessToken);
		expect(answered).toMatchObject({ status: "answered", attempts: 2 });
		expect(answered.answer).toContain("Will I survive?");
		const history = await restartedClient.get<{ data: Array<{ endpoint: string }> }>("/v1/history", {
			token: accessToken,
		});
		expect(history.body.data.filter((item) => item.endpoint === "questions")).toHaveLength(1);
	}, 90_000);
});

const redisMissing = await redisUnavailableBecause();
if (redisMissing !== undefined && process.env.CI === "true") {
	throw new Error(`Redis is required under CI=true: ${redisMissing}`);
}

// Real: three Node processes — two API servers and `parley worker` — on one SQLite file and the
// Redis at 127.0.0.1:6379 (BullMQ and pub/sub) under a key prefix of their own.
describe.skipIf(redisMissing !== undefined)("questions across processes (BullMQ + Redis pub/sub)", () => {
	let dataDirectory: string;
	let keyPrefix: string;
	const processes: ServerProcess[] = [];
	let environment: Record<string, string>;

	beforeAll(async () => {
		dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-questions-fanout-"));
		keyPrefix = uniqueKeyPrefix("fanout");
		environment = {
			...sharedEnvironment(dataDirectory),
			REDIS_URL: testRedisUrl,
			REDIS_KEY_PREFIX: keyPrefix,
			QUEUE_BACKEND: "bullmq",
			QUEUE_LEASE_MS: "1000",
		};
	});
	afterEach(async () => {
		for (const process of processes.splice(0)) await process.stop();
	});
	afterAll(async () => {
		const redis = new Redis(testRedisUrl);
		await deleteKeys(redis, keyPrefix);
		redis.disconnect();
		await rm(dataDirectory, { recursive: true, force: true });
	});

	it("delivers question-answered to a socket on API process A for a question posted to B and answered by worker C", async () => {
		const apiA = await startServerProcess(environment);
		processes.push(apiA);
		const [apiB, workerC] = await Promise.all([
			startServerProcess(environment),
			startWorkerProcess(environment, ["--concurrency", "2"]),
		]);
		processes.push(apiB, workerC);
		const { accessToken } = await signUp(apiClient(apiB.url), "fanout@example.com");
		const socket = await openLiveSocket(apiA.url, { token: accessToken });
		try {
			const asked = await apiClient(apiB.url).post<{ id: string }>(
				"/v1/questions",
				{ question: "Who answers me?" },
				{ token: accessToken },
			);
			expect(asked.status).toBe(202);
			const event = await socket.next(
				"question-answered",
				(message) => (message.data.question as { id: string }).id === asked.body.id,
				20_000,
			);
			expect(event.data.question).toMatchObject({ status: "answered", attempts: 1 });
			expect(
				(await apiClient(apiA.url).get<{ status: string }>(`/v1/questions/${asked.body.id}`, { token: accessToken }))
					.body.status,
			).toBe("answered");
		} finally {
			socket.close();
		}
		// API processes only enqueue; the worker answered, and serves its health and metrics.
		const health = await apiClient(workerC.url).get<{ status: string }>("/v1/health");
		expect(health.body.status).toBe("ok");
		const metrics = await fetch(`${workerC.url}/metrics`);
		const text = await metrics.text();
		expect(text).toContain('parley_question_jobs_total{outcome="answered"} 1');
		expect(text).toMatch(/parley_queue_jobs\{state="waiting"\} 0/);
		const apiMetrics = await (await fetch(`${apiB.url}/metrics`)).text();
		expect(apiMetrics).not.toContain('parley_question_jobs_total{outcome="answered"}');
	}, 90_000);

	it("answers once when the worker is killed mid-job and another worker takes over", async () => {
		const api = await startServerProcess(environment);
		const doomed = await startWorkerProcess({ ...environment, MOCK_LLM_LATENCY_MS: "30000" });
		processes.push(api, doomed);
		const client = apiClient(api.url);
		const { accessToken } = await signUp(client, "crash@example.com");
		const asked = await client.post<{ id: string }>(
			"/v1/questions",
			{ question: "Still there?" },
			{ token: accessToken },
		);
		await waitForStatus(api.url, asked.body.id, accessToken, "processing");
		await doomed.kill();
		const successor = await startWorkerProcess(environment);
		processes.push(successor);
		const answered = await waitForQuestion(client, asked.body.id, accessToken, 20_000);
		expect(answered).toMatchObject({ status: "answered", attempts: 2 });
		const history = await client.get<{ data: Array<{ endpoint: string }> }>("/v1/history", { token: accessToken });
		expect(history.body.data.filter((item) => item.endpoint === "questions")).toHaveLength(1);
	}, 90_000);
});
