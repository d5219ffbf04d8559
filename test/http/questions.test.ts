import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";
import { type QuestionBody, waitForQuestion } from "../support/questions.js";
import { deleteKeys, redisUnavailableBecause, testRedisUrl, uniqueKeyPrefix } from "../support/redis.js";

const handbook = `# Lighthouse handbook

## Opening hours
The Saltmarsh lighthouse opens to visitors at nine in the morning and closes at five in the afternoon.`;

interface Accepted {
	id: string;
	session_id: string;
	status: string;
	created_at: string;
}

// Real: Parley + SQLite (questions and the embedded queue's jobs) + the offline mock model over
// HTTP; the worker is the embedded queue's loop inside the server.
describe("async questions (Desafio Toro)", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let alice: string;
	let bob: string;

	beforeAll(async () => {
		parley = await startParley({ DEMO_KNOWLEDGE: "false", MEMORY_EXTRACTION: "rules", LLM_CONTEXT_TOKENS: "4096" });
		client = apiClient(parley.url);
		alice = (await signUp(client, "alice@example.com")).accessToken;
		bob = (await signUp(client, "bob@example.com")).accessToken;
		const uploaded = await client.post(
			"/v1/documents",
			{ title: "Lighthouse handbook", text: handbook },
			{ token: alice },
		);
		expect(uploaded.status).toBe(201);
	});
	afterAll(() => parley.close());

	it("accepts a question with 202 and a Location, then a worker answers it with usage and citations", async () => {
		const asked = await client.post<Accepted>(
			"/v1/questions",
			{ question: "When does the Saltmarsh lighthouse open?", session_id: "visit-1" },
			{ token: alice },
		);
		expect(asked.status).toBe(202);
		expect(asked.body).toMatchObject({ session_id: "visit-1", status: "pending" });
		expect(asked.headers.get("location")).toBe(`/v1/questions/${asked.body.id}`);

		const answered = await waitForQuestion(client, asked.body.id, alice);
		expect(answered.status).toBe("answered");
		expect(answered.answer).toMatch(/nine in the morning/);
		expect(answered.usage?.total_tokens).toBeGreaterThan(0);
		expect(answered.citations[0]).toMatchObject({ title: "Lighthouse handbook" });
		expect(answered.attempts).toBe(1);
		expect(answered.error).toBeNull();
		// The answer is an interaction like any other, in the history with its endpoint.
		const history = await client.get<{ data: Array<{ interaction_id: string; endpoint: string }> }>("/v1/history", {
			token: alice,
		});
		expect(history.body.data).toContainEqual(
			expect.objectContaining({ interaction_id: answered.interaction_id, endpoint: "questions" }),
		);
	});

	it("lists the caller's questions by session and status, with cursor pagination", async () => {
		const ids: string[] = [];
		for (const question of ["first?", "second?", "third?"]) {
			const asked = await client.post<Accepted>("/v1/questions", { question, session_id: "paged" }, { token: alice });
			ids.push(asked.body.id);
		}
		for (const id of ids) await waitForQuestion(client, id, alice);
		const firstPage = await client.get<{ data: QuestionBody[]; next_cursor: string | null }>(
			"/v1/questions?session_id=paged&limit=2",
			{ token: alice },
		);
		expect(firstPage.status).toBe(200);
		expect(firstPage.body.data.map((question) => question.question)).toEqual(["third?", "second?"]);
		const secondPage = await client.get<{ data: QuestionBody[]; next_cursor: string | null }>(
			`/v1/questions?session_id=paged&limit=2&cursor=${firstPage.body.next_cursor}`,
			{ token: alice },
		);
		expect(secondPage.body.data.map((question) => question.question)).toEqual(["first?"]);
		expect(secondPage.body.next_cursor).toBeNull();

		const bySessionRoute = await client.get<{ data: QuestionBody[] }>("/v1/questions/session/paged", { token: alice });
		expect(bySessionRoute.body.data.map((question) => question.id)).toEqual([...ids].reverse());
		const answered = await client.get<{ data: QuestionBody[] }>("/v1/questions?status=answered&limit=100", {
			token: alice,
		});
		expect(answered.body.data.length).toBeGreaterThanOrEqual(4);
		expect(answered.body.data.every((question) => question.status === "answered")).toBe(true);
		const pending = await client.get<{ data: QuestionBody[] }>("/v1/questions?status=pending", { token: alice });
		expect(pending.body.data).toEqual([]);
	});

	it("never shows one user's questions to another", async () => {
		const asked = await client.post<Accepted>(
			"/v1/questions",
			{ question: "private?", session_id: "shared-name" },
			{ token: alice },
		);
		await waitForQuestion(client, asked.body.id, alice);
		const stolen = await client.get(`/v1/questions/${asked.body.id}`, { token: bob });
		expect(stolen.status).toBe(404);
		expect(stolen.body).toMatchObject({ code: "not_found" });
		for (const path of ["/v1/questions", "/v1/questions?session_id=shared-name", "/v1/questions/session/shared-name"]) {
			const listed = await client.get<{ data: QuestionBody[] }>(path, { token: bob });
			expect(listed.status).toBe(200);
			expect(listed.body.data).toEqual([]);
		}
		expect((await client.get(`/v1/questions/${asked.body.id}`)).status).toBe(401);
	});

	it("answers bad input with 400 problem documents and stores nothing", async () => {
		const cases: unknown[] = [
			{},
			{ question: "" },
			{ question: "   " },
			{ question: "x", extra: true },
			{ question: "x", rag: "yes" },
			{ question: "x", session_id: "has spaces" },
			{ question: 42 },
		];
		for (const body of cases) {
			const response = await client.post("/v1/questions", body, { token: bob });
			expect(response.status, JSON.stringify(body)).toBe(400);
			expect(response.headers.get("content-type")).toContain("application/problem+json");
			expect(response.body).toMatchObject({ code: "validation_failed" });
		}
		const unknownModel = await client.post("/v1/questions", { question: "x", model: "openai/gpt-4o" }, { token: bob });
		expect(unknownModel.status).toBe(400);
		expect(unknownModel.body).toMatchObject({ code: "unknown_model" });
		expect((await client.get("/v1/questions?status=lost", { token: bob })).status).toBe(400);
		expect((await client.get("/v1/questions?cursor=!!", { token: bob })).status).toBe(400);
		const listed = await client.get<{ data: unknown[] }>("/v1/questions", { token: bob });
		expect(listed.body.data).toEqual([]);
	});

	it("creates one question and one job per Idempotency-Key", async () => {
		const headers = { "idempotency-key": "ask-once-1" };
		const body = { question: "Only once, please?", session_id: "idem" };
		const first = await client.post<Accepted>("/v1/questions", body, { token: bob, headers });
		const second = await client.post<Accepted>("/v1/questions", body, { token: bob, headers });
		expect(first.status).toBe(202);
		expect(second.status).toBe(202);
		expect(second.headers.get("idempotent-replayed")).toBe("true");
		expect(second.body.id).toBe(first.body.id);
		expect(second.headers.get("location")).toBe(`/v1/questions/${first.body.id}`);
		await waitForQuestion(client, first.body.id, bob);
		const listed = await client.get<{ data: QuestionBody[] }>("/v1/questions?session_id=idem", { token: bob });
		expect(listed.body.data).toHaveLength(1);
		expect(listed.body.data[0]?.attempts).toBe(1);
		const history = await client.get<{ data: Array<{ endpoint: string }> }>("/v1/history", { token: bob });
		expect(history.body.data.filter((item) => item.endpoint === "questions")).toHaveLength(1);
	});

	it("fails a question the model can never take at once, without retries or dead letter", async () => {
		const asked = await client.post<Accepted>("/v1/questions", { question: "word ".repeat(20_000) }, { token: bob });
		expect(asked.status).toBe(202);
		const failed = await waitForQuestion(client, asked.body.id, bob);
		expect(failed).toMatchObject({ status: "failed", attempts: 1, dead_lettered: false, answer: null });
		expect(failed.error?.code).toBe("context_length_exceeded");
	});
});

// Real: Parley + SQLite + the mock model made to fail every call (MOCK_LLM_FAILURE_RATE=1).
describe("async questions that keep failing", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let user: string;
	let admin: string;

	beforeAll(async () => {
		parley = await startParley({
			DEMO_KNOWLEDGE: "false",
			MEMORY_EXTRACTION: "rules",
			ADMIN_EMAILS: "boss@example.com",
			MOCK_LLM_FAILURE_RATE: "1",
			LLM_MAX_RETRIES: "0",
			LLM_BREAKER_THRESHOLD: "1000",
			QUESTION_MAX_ATTEMPTS: "3",
			QUESTION_RETRY_DELAY_MS: "20",
		});
		client = apiClient(parley.url);
		user = (await signUp(client, "user@example.com")).accessToken;
		admin = (await signUp(client, "boss@example.com")).accessToken;
	});
	afterAll(() => parley.close());

	it("retries with backoff, then fails with the error code and dead-letters the question for admins", async () => {
		const asked = await client.post<Accepted>("/v1/questions", { question: "Will this ever work?" }, { token: user });
		const failed = await waitForQuestion(client, asked.body.id, user);
		expect(failed).toMatchObject({ status: "failed", attempts: 3, dead_lettered: true, answer: null });
		expect(failed.error?.code).toBe("provider_overloaded");

		expect((await client.get("/v1/admin/questions/dead-letter", { token: user })).status).toBe(403);
		const deadLetters = await client.get<{ data: Array<QuestionBody & { user_id: string }> }>(
			"/v1/admin/questions/dead-letter",
			{ token: admin },
		);
		expect(deadLetters.status).toBe(200);
		expect(deadLetters.body.data.map((question) => question.id)).toEqual([asked.body.id]);
		expect(deadLetters.body.data[0]?.user_id).toBeTruthy();

		expect((await client.post(`/v1/admin/questions/${asked.body.id}/retry`, undefined, { token: user })).status).toBe(
			403,
		);
		const retried = await client.post<QuestionBody>(`/v1/admin/questions/${asked.body.id}/retry`, undefined, {
			token: admin,
		});
		expect(retried.status).toBe(202);
		expect(retried.body).toMatchObject({ status: "pending", attempts: 0, dead_lettered: false });
		const failedAgain = await waitForQuestion(client, asked.body.id, user);
		expect(failedAgain).toMatchObject({ status: "failed", attempts: 3, dead_lettered: true });
		const missing = await client.post("/v1/admin/questions/not-a-question/retry", undefined, { token: admin });
		expect(missing.status).toBe(404);
	});
});

// Real: Parley + SQLite with REDIS_URL pointing at a port where nothing listens (BullMQ queue).
describe("async questions while Redis is down", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let token: string;

	beforeAll(async () => {
		parley = await startParley({ DEMO_KNOWLEDGE: "false", REDIS_URL: "redis://127.0.0.1:1" });
		client = apiClient(parley.url);
		token = (await signUp(client, "offline@example.com")).accessToken;
	});
	afterAll(() => parley.close());

	it("answers 503 queue_unavailable and leaves no question pending", async () => {
		const asked = await client.post("/v1/questions", { question: "Anyone?" }, { token });
		expect(asked.status).toBe(503);
		expect(asked.body).toMatchObject({ code: "queue_unavailable" });
		const listed = await client.get<{ data: QuestionBody[] }>("/v1/questions", { token });
		expect(listed.body.data).toHaveLength(1);
		expect(listed.body.data[0]).toMatchObject({ status: "failed", error: { code: "queue_unavailable" } });
		const events = await client.get("/v1/events", { token });
		expect(events.status).toBe(503);
		expect(events.body).toMatchObject({ code: "notifications_unavailable" });
	});
});

const redisMissing = await redisUnavailableBecause();
if (redisMissing !== undefined && process.env.CI === "true") {
	throw new Error(`Redis is required under CI=true: ${redisMissing}`);
}

// Real: Parley + SQLite + BullMQ on the Redis at 127.0.0.1:6379, worker inside the API process.
describe.skipIf(redisMissing !== undefined)("async questions on BullMQ with WORKER_IN_PROCESS", () => {
	let parley: RunningParley;
	const keyPrefix = uniqueKeyPrefix("questions-in-process");

	beforeAll(async () => {
		parley = await startParley({
			DEMO_KNOWLEDGE: "false",
			REDIS_URL: testRedisUrl,
			REDIS_KEY_PREFIX: keyPrefix,
			WORKER_IN_PROCESS: "true",
		});
	});
	afterAll(async () => {
		await parley.close();
		const redis = new Redis(testRedisUrl);
		await deleteKeys(redis, keyPrefix);
		redis.disconnect();
	});

	it("answers through Redis", async () => {
		expect(parley.config.queue.backend).toBe("bullmq");
		const client = apiClient(parley.url);
		const { accessToken } = await signUp(client, "bull@example.com");
		const asked = await client.post<Accepted>("/v1/questions", { question: "Via Redis?" }, { token: accessToken });
		expect(asked.status).toBe(202);
		expect(await waitForQuestion(client, asked.body.id, accessToken)).toMatchObject({
			status: "answered",
			attempts: 1,
		});
	});
});
