import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeUpstream, fixtures, startFakeUpstream } from "../support/fake-upstream.js";
import { type ApiClient, apiClient, readEvents, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";
import { deleteKeys, redisUnavailableBecause, testRedisUrl, uniqueKeyPrefix } from "../support/redis.js";

// Real: Parley over HTTP on SQLite, a fake OpenAI-compatible upstream counting the model calls.
describe("Idempotency-Key on creating requests", () => {
	let upstream: FakeUpstream;
	let parley: RunningParley;
	let client: ApiClient;
	let token: string;
	let otherToken: string;
	let keyNumber = 0;
	const freshKey = () => `key-${Date.now()}-${keyNumber++}`;
	const modelCalls = () => upstream.requests.filter((request) => request.path.endsWith("/chat/completions")).length;

	beforeAll(async () => {
		upstream = await startFakeUpstream();
		parley = await startParley({
			OPENAI_COMPATIBLE_BASE_URL: upstream.url,
			OPENAI_COMPATIBLE_API_KEY: "upstream-secret",
			DEFAULT_MODEL: "openai-compatible/gpt-4o-mini",
			// Memories learnt by rules: no second model call per message to blur the count.
			MEMORY_EXTRACTION: "rules",
			LLM_MAX_RETRIES: "0",
			DEMO_KNOWLEDGE: "false",
		});
		client = apiClient(parley.url);
		token = (await signUp(client, "idem@example.com")).accessToken;
		otherToken = (await signUp(client, "idem-other@example.com")).accessToken;
	});
	beforeEach(() => upstream.reset());
	afterAll(async () => {
		await parley.close();
		await upstream.close();
	});

	it("50 concurrent identical requests with one key: one model call, one stored turn, one answer", async () => {
		upstream.script({ type: "success", delayMs: 300 });
		const key = freshKey();
		const body = { prompt: "What is the capital of France?" };
		const send = () =>
			client.post<Record<string, unknown>>("/v1/chat", body, { token, headers: { "idempotency-key": key } });
		const first = await Promise.all(Array.from({ length: 50 }, send));

		const statuses = first.map((response) => response.status);
		expect(statuses.every((status) => status === 200 || status === 409)).toBe(true);
		expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(1);
		for (const response of first.filter((each) => each.status === 409)) {
			expect(response.headers.get("content-type")).toContain("application/problem+json");
			expect(response.body.code).toBe("idempotency_key_in_use");
			expect(response.headers.get("retry-after")).toBe("1");
		}
		// The 409s retry once the first has finished, as Retry-After says.
		const retried = await Promise.all(first.map((response) => (response.status === 409 ? send() : response)));
		expect(retried.map((response) => response.status)).toEqual(Array(50).fill(200));
		const bodies = new Set(retried.map((response) => response.text));
		expect(bodies.size).toBe(1);
		expect(retried.filter((response) => response.headers.get("idempotent-replayed") === "true").length).toBe(49);
		expect(modelCalls()).toBe(1);

		const conversations = await client.get<{ data: unknown[] }>("/v1/conversations", { token });
		const history = await client.get<{ data: unknown[] }>("/v1/history", { token });
		expect(conversations.body.data).toHaveLength(1);
		expect(history.body.data).toHaveLength(1);
	});

	it("replays status, body and the model header, and marks the replay", async () => {
		const key = freshKey();
		const original = await client.post(
			"/v1/generate",
			{ prompt: "Say hi" },
			{ token, headers: { "idempotency-key": key } },
		);
		const repeat = await client.post(
			"/v1/generate",
			{ prompt: "Say hi" },
			{ token, headers: { "idempotency-key": key } },
		);
		expect(original.status).toBe(200);
		expect(original.headers.get("idempotent-replayed")).toBeNull();
		expect(repeat.status).toBe(200);
		expect(repeat.headers.get("idempotent-replayed")).toBe("true");
		expect(repeat.text).toBe(original.text);
		expect(repeat.headers.get("content-type")).toBe(original.headers.get("content-type"));
		expect(repeat.headers.get("x-request-id")).not.toBe(original.headers.get("x-request-id"));
		expect(modelCalls()).toBe(1);
	});

	it('accepts the draft\'s quoted form: "key" and key name the same request', async () => {
		const key = freshKey();
		const quoted = await client.post(
			"/v1/generate",
			{ prompt: "q" },
			{ token, headers: { "idempotency-key": `"${key}"` } },
		);
		const bare = await client.post("/v1/generate", { prompt: "q" }, { token, headers: { "idempotency-key": key } });
		expect(quoted.status).toBe(200);
		expect(bare.headers.get("idempotent-replayed")).toBe("true");
	});

	it("the same key with a different body → 422 idempotency_key_reused, nothing run", async () => {
		const key = freshKey();
		expect(
			(await client.post("/v1/generate", { prompt: "one" }, { token, headers: { "idempotency-key": key } })).status,
		).toBe(200);
		const other = await client.post("/v1/generate", { prompt: "two" }, { token, headers: { "idempotency-key": key } });
		expect(other.status).toBe(422);
		expect(other.body.code).toBe("idempotency_key_reused");
		const otherPath = await client.post("/v1/chat", { prompt: "one" }, { token, headers: { "idempotency-key": key } });
		expect(otherPath.status).toBe(422);
		expect(modelCalls()).toBe(1);
	});

	it("a failed first attempt is not kept: the retry with the same key runs and succeeds", async () => {
		upstream.script({ type: "error", status: 500 });
		const key = freshKey();
		const failed = await client.post(
			"/v1/generate",
			{ prompt: "flaky" },
			{ token, headers: { "idempotency-key": key } },
		);
		expect(failed.status).toBe(502);
		const retried = await client.post(
			"/v1/generate",
			{ prompt: "flaky" },
			{ token, headers: { "idempotency-key": key } },
		);
		expect(retried.status).toBe(200);
		expect(retried.headers.get("idempotent-replayed")).toBeNull();
		expect(modelCalls()).toBe(2);
	});

	it("keys belong to their caller: another user's identical key runs on its own", async () => {
		const key = freshKey();
		const mine = await client.post(
			"/v1/generate",
			{ prompt: "shared key" },
			{ token, headers: { "idempotency-key": key } },
		);
		const theirs = await client.post(
			"/v1/generate",
			{ prompt: "shared key" },
			{ token: otherToken, headers: { "idempotency-key": key } },
		);
		expect(mine.status).toBe(200);
		expect(theirs.status).toBe(200);
		expect(theirs.headers.get("idempotent-replayed")).toBeNull();
		expect(theirs.body.interaction_id).not.toBe(mine.body.interaction_id);
		expect(modelCalls()).toBe(2);
	});

	it.each([
		["empty", ""],
		["too long", "k".repeat(256)],
		["not visible ASCII", "clé-é"],
		["inner space", "two words"],
	])("a malformed key (%s) → 400 invalid_idempotency_key, nothing stored", async (_name, key) => {
		const before = (await client.get<{ data: unknown[] }>("/v1/history?limit=100", { token })).body.data.length;
		const response = await fetch(`${parley.url}/v1/chat`, {
			method: "POST",
			headers: {
				authorization: `Bearer ${token}`,
				"content-type": "application/json",
				"idempotency-key": Buffer.from(key, "utf8").toString("latin1"),
			},
			body: JSON.stringify({ prompt: "bad key" }),
		});
		expect(response.status).toBe(400);
		expect(response.headers.get("content-type")).toContain("application/problem+json");
		expect(((await response.json()) as { code: string }).code).toBe("invalid_idempotency_key");
		const after = (await client.get<{ data: unknown[] }>("/v1/history?limit=100", { token })).body.data.length;
		expect(after).toBe(before);
		expect(modelCalls()).toBe(0);
	});

	it("a streamed chat is replayed as its final message, as plain JSON", async () => {
		const key = freshKey();
		const streamed = await fetch(`${parley.url}/v1/chat`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key },
			body: JSON.stringify({ prompt: "Stream me", stream: true }),
		});
		const events = await readEvents(streamed);
		const end = events.find((event) => event.event === "message-end");
		expect(end).toBeDefined();
		const repeat = await client.post(
			"/v1/chat",
			{ prompt: "Stream me", stream: true },
			{ token, headers: { "idempotency-key": key } },
		);
		expect(repeat.status).toBe(200);
		expect(repeat.headers.get("content-type")).toContain("application/json");
		expect(repeat.headers.get("idempotent-replayed")).toBe("true");
		expect(repeat.body).toEqual(end?.data);
		expect(modelCalls()).toBe(1);
	});

	it("a streamed chat completion is replayed as a chat.completion object", async () => {
		const key = freshKey();
		const body = { model: "openai-compatible/gpt-4o-mini", stream: true, messages: [{ role: "user", content: "Hi" }] };
		const streamed = await fetch(`${parley.url}/v1/chat/completions`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key },
			body: JSON.stringify(body),
		});
		expect(streamed.headers.get("content-type")).toContain("text/event-stream");
		await streamed.text();
		const repeat = await client.post<{
			object: string;
			model: string;
			choices: Array<{ message: { content: string } }>;
			usage: { total_tokens: number };
		}>("/v1/chat/completions", body, { token, headers: { "idempotency-key": key } });
		expect(repeat.status).toBe(200);
		expect(repeat.headers.get("idempotent-replayed")).toBe("true");
		expect(repeat.body.object).toBe("chat.completion");
		expect(repeat.body.model).toBe("openai-compatible/gpt-4o-mini");
		expect(repeat.body.choices[0]?.message.content).toBe(fixtures.text);
		expect(repeat.body.usage.total_tokens).toBeGreaterThan(0);
		expect(modelCalls()).toBe(1);
	});

	it("a document upload with a key is stored once", async () => {
		const key = freshKey();
		const document = { title: "Once", text: "Idempotent uploads keep one copy of this text." };
		const first = await client.post("/v1/documents", document, { token, headers: { "idempotency-key": key } });
		const second = await client.post("/v1/documents", document, { token, headers: { "idempotency-key": key } });
		expect(first.status).toBe(201);
		expect(second.status).toBe(201);
		expect(second.text).toBe(first.text);
		const list = await client.get<{ data: Array<{ title: string }> }>("/v1/documents", { token });
		expect(list.body.data.filter((item) => item.title === "Once")).toHaveLength(1);
	});

	it("the OpenAPI document offers the header on creating routes only", async () => {
		const document = (
			await client.get<{ paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>> }>(
				"/openapi.json",
			)
		).body;
		const names = (path: string, method: string) =>
			(document.paths[path]?.[method]?.parameters ?? []).map((parameter) => parameter.name);
		expect(names("/v1/chat", "post")).toContain("Idempotency-Key");
		expect(names("/v1/chat/completions", "post")).toContain("Idempotency-Key");
		expect(names("/v1/documents", "post")).toContain("Idempotency-Key");
		expect(names("/v1/api-keys", "post")).not.toContain("Idempotency-Key");
	});

	it("requests without a key are never deduplicated", async () => {
		await client.post("/v1/generate", { prompt: "no key" }, { token });
		await client.post("/v1/generate", { prompt: "no key" }, { token });
		expect(modelCalls()).toBe(2);
	});
});

describe("Idempotency records expire", () => {
	let parley: RunningParley;
	beforeAll(async () => {
		parley = await startParley({ IDEMPOTENCY_TTL_SECONDS: "1", MEMORY_EXTRACTION: "off", DEMO_KNOWLEDGE: "false" });
	});
	afterAll(async () => parley.close());

	it("after IDEMPOTENCY_TTL_SECONDS the same key runs the request again", async () => {
		const client = apiClient(parley.url);
		const { accessToken: token } = await signUp(client, "ttl@example.com");
		const send = () =>
			client.post("/v1/generate", { prompt: "again" }, { token, headers: { "idempotency-key": "ttl-key" } });
		const first = await send();
		expect((await send()).headers.get("idempotent-replayed")).toBe("true");
		await sleep(1100);
		const later = await send();
		expect(later.status).toBe(200);
		expect(later.headers.get("idempotent-replayed")).toBeNull();
		expect(later.body.interaction_id).not.toBe(first.body.interaction_id);
	});
});

describe("Idempotency records in Redis (REDIS_URL)", () => {
	it("a key used on one server is replayed by another sharing the Redis", async () => {
		const missing = await redisUnavailableBecause();
		if (missing !== undefined) {
			if (process.env.CI === "true") throw new Error(`Redis is required under CI=true: ${missing}`);
			return;
		}
		const keyPrefix = uniqueKeyPrefix("http-idempotency");
		const shared = {
			REDIS_URL: testRedisUrl,
			REDIS_KEY_PREFIX: keyPrefix,
			MEMORY_EXTRACTION: "off",
			DEMO_KNOWLEDGE: "false",
			PUBLIC_URL: "http://parley.test",
		};
		const one = await startParley(shared);
		const two = await startParley({ ...shared, DATA_DIR: one.dataDirectory });
		try {
			const { accessToken: token } = await signUp(apiClient(one.url), "redis-idempotency@example.com");
			const headers = { "idempotency-key": "shared-key" };
			const first = await apiClient(one.url).post("/v1/generate", { prompt: "once" }, { token, headers });
			const repeat = await apiClient(two.url).post("/v1/generate", { prompt: "once" }, { token, headers });
			expect(first.status).toBe(200);
			expect(repeat.headers.get("idempotent-replayed")).toBe("true");
			expect(repeat.text).toBe(first.text);
		} finally {
			await two.app.close();
			await two.runtime.close();
			await one.close();
			const redis = new Redis(testRedisUrl);
			await deleteKeys(redis, keyPrefix);
			redis.disconnect();
		}
	});
});
