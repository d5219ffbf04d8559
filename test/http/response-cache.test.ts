import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeUpstream, fixtures, startFakeUpstream } from "../support/fake-upstream.js";
import { type ApiClient, apiClient, readEvents, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";
import { deleteKeys, redisUnavailableBecause, testRedisUrl, uniqueKeyPrefix } from "../support/redis.js";

interface GenerateBody {
	generated: string;
	interaction_id: string;
	usage: { total_tokens: number };
}

// Real: Parley over HTTP on SQLite; a fake OpenAI-compatible upstream counting model calls.
describe("response cache", () => {
	let upstream: FakeUpstream;
	let parley: RunningParley;
	let client: ApiClient;
	let token: string;
	let otherToken: string;
	const modelCalls = () => upstream.requests.filter((request) => request.path.endsWith("/chat/completions")).length;

	beforeAll(async () => {
		upstream = await startFakeUpstream();
		parley = await startParley({
			OPENAI_COMPATIBLE_BASE_URL: upstream.url,
			OPENAI_COMPATIBLE_API_KEY: "upstream-secret",
			DEFAULT_MODEL: "openai-compatible/gpt-4o-mini",
			MEMORY_EXTRACTION: "off",
			LLM_MAX_RETRIES: "0",
		});
		client = apiClient(parley.url);
		token = (await signUp(client, "cache@example.com")).accessToken;
		otherToken = (await signUp(client, "cache-other@example.com")).accessToken;
	});
	beforeEach(() => upstream.reset());
	afterAll(async () => {
		await parley.close();
		await upstream.close();
	});

	const generate = (body: Record<string, unknown>, as = token) =>
		client.post<GenerateBody>("/v1/generate", { rag: false, ...body }, { token: as });

	it("temperature 0: the second identical request is answered from the cache, free, and stored", async () => {
		const first = await generate({ prompt: "Name the capital of France", temperature: 0 });
		const second = await generate({ prompt: "Name the capital of France", temperature: 0 });
		expect(first.headers.get("x-cache")).toBe("MISS");
		expect(second.headers.get("x-cache")).toBe("HIT");
		expect(second.body.generated).toBe(first.body.generated);
		expect(second.body.generated).toBe(fixtures.text);
		expect(second.body.usage.total_tokens).toBe(0);
		expect(second.headers.get("x-parley-attempts")).toBe("0");
		expect(modelCalls()).toBe(1);
		const history = await client.get<{ data: Array<{ interaction_id: string }> }>("/v1/history?limit=5", { token });
		expect(history.body.data.map((item) => item.interaction_id)).toContain(second.body.interaction_id);
	});

	it("is not used for sampled requests, or when the request says cache: false", async () => {
		const sampled = await generate({ prompt: "Tell me a story", temperature: 0.8 });
		await generate({ prompt: "Tell me a story", temperature: 0.8 });
		expect(sampled.headers.get("x-cache")).toBeNull();
		await generate({ prompt: "Once more", temperature: 0, cache: false });
		const refused = await generate({ prompt: "Once more", temperature: 0, cache: false });
		expect(refused.headers.get("x-cache")).toBeNull();
		expect(modelCalls()).toBe(4);
	});

	it("cache: true caches whatever the temperature; other parameters are part of the key", async () => {
		await generate({ prompt: "Summarise Paris", cache: true, temperature: 1 });
		expect((await generate({ prompt: "Summarise Paris", cache: true, temperature: 1 })).headers.get("x-cache")).toBe(
			"HIT",
		);
		expect(
			(await generate({ prompt: "Summarise Paris", cache: true, temperature: 1, max_tokens: 20 })).headers.get(
				"x-cache",
			),
		).toBe("MISS");
		expect(modelCalls()).toBe(2);
	});

	it("never serves one user's cached answer to another", async () => {
		await generate({ prompt: "My private question", temperature: 0 });
		const other = await generate({ prompt: "My private question", temperature: 0 }, otherToken);
		expect(other.headers.get("x-cache")).toBe("MISS");
		expect(modelCalls()).toBe(2);
	});

	it("an answer grounded on a shared collection only is shared with other users asking the same", async () => {
		const ask = (as: string) =>
			client.post<GenerateBody>(
				"/v1/generate",
				{ prompt: "Como funciona RAG?", temperature: 0, collection: "parley-guide" },
				{ token: as },
			);
		const first = await ask(token);
		const second = await ask(otherToken);
		expect(first.headers.get("x-cache")).toBe("MISS");
		expect(second.headers.get("x-cache")).toBe("HIT");
		expect(modelCalls()).toBe(1);
	});

	it('"semantic" answers a question worded almost the same, within the same context, and not an unrelated one', async () => {
		await generate({ prompt: "What is the capital city of France?", cache: "semantic" });
		const similar = await generate({ prompt: "what is the capital city of france", cache: "semantic" });
		expect(similar.headers.get("x-cache")).toBe("SEMANTIC-HIT");
		const unrelated = await generate({ prompt: "How do I bake sourdough bread at home?", cache: "semantic" });
		expect(unrelated.headers.get("x-cache")).toBe("MISS");
		expect(modelCalls()).toBe(2);
		const metrics = await client.get("/metrics");
		expect(metrics.text).toMatch(/parley_response_cache_lookups_total\{kind="semantic",outcome="hit"\} [1-9]/);
	});

	it("a streamed chat can be answered from the cache", async () => {
		await generate({ prompt: "Stream from cache", temperature: 0 });
		const response = await fetch(`${parley.url}/v1/chat`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: JSON.stringify({ prompt: "Stream from cache", temperature: 0, stream: true, rag: false }),
		});
		expect(response.headers.get("x-cache")).toBe("HIT");
		const events = await readEvents(response);
		const text = events
			.filter((event) => event.event === "text-delta")
			.map((event) => (event.data as { delta: string }).delta)
			.join("");
		expect(text).toBe(fixtures.text);
		expect(modelCalls()).toBe(1);
	});

	it("/v1/chat/completions at temperature 0 replays the upstream's response", async () => {
		const body = {
			model: "openai-compatible/gpt-4o-mini",
			temperature: 0,
			messages: [{ role: "user", content: "Hi!" }],
		};
		const first = await client.post("/v1/chat/completions", body, { token });
		const second = await client.post("/v1/chat/completions", body, { token });
		expect(first.headers.get("x-cache")).toBe("MISS");
		expect(second.headers.get("x-cache")).toBe("HIT");
		expect(second.text).toBe(first.text);
		expect(modelCalls()).toBe(1);
		// `cache` is Parley's: it never reaches the upstream.
		await client.post("/v1/chat/completions", { ...body, cache: false }, { token });
		expect(upstream.requests.at(-1)?.body).not.toHaveProperty("cache");
	});
});

describe("response cache stores", () => {
	it("RESPONSE_CACHE=off never answers from the cache", async () => {
		const parley = await startParley({ RESPONSE_CACHE: "off", MEMORY_EXTRACTION: "off", DEMO_KNOWLEDGE: "false" });
		try {
			const client = apiClient(parley.url);
			const { accessToken } = await signUp(client, "off@example.com");
			await client.post("/v1/generate", { prompt: "x", temperature: 0 }, { token: accessToken });
			const again = await client.post("/v1/generate", { prompt: "x", temperature: 0 }, { token: accessToken });
			expect(again.headers.get("x-cache")).toBeNull();
		} finally {
			await parley.close();
		}
	});

	it("RESPONSE_CACHE_STORE=sql keeps answers in the store, across a restart", async () => {
		const first = await startParley({ RESPONSE_CACHE_STORE: "sql", MEMORY_EXTRACTION: "off", DEMO_KNOWLEDGE: "false" });
		const dataDirectory = first.dataDirectory;
		const { accessToken } = await signUp(apiClient(first.url), "sql@example.com");
		await apiClient(first.url).post("/v1/generate", { prompt: "kept", temperature: 0 }, { token: accessToken });
		await first.app.close();
		await first.runtime.close();
		const second = await startParley({
			DATA_DIR: dataDirectory,
			RESPONSE_CACHE_STORE: "sql",
			MEMORY_EXTRACTION: "off",
			DEMO_KNOWLEDGE: "false",
		});
		try {
			const again = await apiClient(second.url).post(
				"/v1/generate",
				{ prompt: "kept", temperature: 0 },
				{ token: accessToken },
			);
			expect(again.headers.get("x-cache")).toBe("HIT");
		} finally {
			await second.close();
		}
	});

	it("RESPONSE_CACHE_STORE=redis shares answers between two servers", async () => {
		const missing = await redisUnavailableBecause();
		if (missing !== undefined) {
			if (process.env.CI === "true") throw new Error(`Redis is required under CI=true: ${missing}`);
			return;
		}
		const keyPrefix = uniqueKeyPrefix("response-cache");
		const shared = {
			REDIS_URL: testRedisUrl,
			REDIS_KEY_PREFIX: keyPrefix,
			RESPONSE_CACHE_STORE: "redis",
			MEMORY_EXTRACTION: "off",
			DEMO_KNOWLEDGE: "false",
			PUBLIC_URL: "http://parley.test",
		};
		const one = await startParley(shared);
		const two = await startParley({ ...shared, DATA_DIR: one.dataDirectory });
		try {
			const { accessToken } = await signUp(apiClient(one.url), "redis-cache@example.com");
			await apiClient(one.url).post("/v1/generate", { prompt: "shared", temperature: 0 }, { token: accessToken });
			const again = await apiClient(two.url).post(
				"/v1/generate",
				{ prompt: "shared", temperature: 0 },
				{ token: accessToken },
			);
			expect(again.headers.get("x-cache")).toBe("HIT");
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
