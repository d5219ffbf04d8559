import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, fixtures, startFakeUpstream } from "../support/fake-upstream.js";
import { type ApiClient, apiClient, readEvents, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

// Real: Parley + SQLite over HTTP, calling a local fake OpenAI-compatible upstream that fails on
// script (500s, 429 with Retry-After, dropped streams).
describe("resilience against a flaky upstream", () => {
	let upstream: FakeUpstream;
	let parley: RunningParley;
	let client: ApiClient;
	let token: string;

	beforeAll(async () => {
		upstream = await startFakeUpstream();
		parley = await startParley({
			DEMO_KNOWLEDGE: "false",
			// Every upstream call here is scripted; memory must not add extraction calls of its own.
			MEMORY_EXTRACTION: "rules",
			OPENAI_COMPATIBLE_BASE_URL: upstream.url,
			LLM_MAX_RETRIES: "2",
			LLM_RETRY_BASE_DELAY_MS: "10",
			LLM_RETRY_MAX_DELAY_MS: "2000",
			LLM_BREAKER_THRESHOLD: "3",
			LLM_BREAKER_HALF_OPEN_AFTER_MS: "800",
		});
		client = apiClient(parley.url);
		token = (await signUp(client, "resilient@example.com")).accessToken;
	});
	afterEach(() => upstream.reset());
	afterAll(async () => {
		await parley.close();
		await upstream.close();
	});

	it("retries transient failures until the upstream succeeds", async () => {
		upstream.script({ type: "error", status: 500, times: 2 });
		const response = await client.post<{ response: string }>(
			"/v1/chat",
			{ prompt: "retry me", model: "flaky-a" },
			{ token },
		);
		expect(response.status).toBe(200);
		expect(response.body.response).toBe(fixtures.text);
		expect(upstream.requests).toHaveLength(3);
	});

	it("honours Retry-After on 429", async () => {
		upstream.script({ type: "error", status: 429, retryAfterSeconds: 1 });
		const response = await client.post(
			"/v1/chat/completions",
			{ model: "flaky-b", messages: [{ role: "user", content: "hi" }] },
			{ token },
		);
		expect(response.status).toBe(200);
		expect(response.headers.get("x-parley-attempts")).toBe("2");
		const [first, second] = upstream.requests;
		expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(950);
	});

	it("does not retry a request the upstream rejects as invalid", async () => {
		upstream.script({ type: "error", status: 400 });
		const response = await client.post("/v1/chat", { prompt: "invalid", model: "flaky-c" }, { token });
		expect(response.status).toBe(400);
		expect(response.body.code).toBe("provider_rejected");
		expect(upstream.requests).toHaveLength(1);
	});

	it("opens the circuit after repeated failures, answers 503 with Retry-After, then recovers", async () => {
		upstream.rule(() => ({ type: "error", status: 503 }));
		for (let call = 0; call < 3; call++) {
			const failed = await client.post("/v1/chat", { prompt: "down", model: "fragile" }, { token });
			expect(failed.status).toBeGreaterThanOrEqual(502);
		}
		const callsSoFar = upstream.requests.length;
		const open = await client.post("/v1/chat", { prompt: "down", model: "fragile" }, { token });
		expect(open.status).toBe(503);
		expect(open.headers.get("content-type")).toContain("application/problem+json");
		expect(open.body.code).toBe("provider_unavailable");
		expect(Number(open.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
		expect(upstream.requests.length).toBe(callsSoFar);

		const metrics = await client.get("/metrics");
		expect(metrics.text).toMatch(/parley_llm_circuit_state\{provider="openai-compatible",model="fragile"\} 2/);

		upstream.reset();
		await new Promise((resolve) => setTimeout(resolve, 900));
		const recovered = await client.post("/v1/chat", { prompt: "up again", model: "fragile" }, { token });
		expect(recovered.status).toBe(200);
		const closed = await client.get("/metrics");
		expect(closed.text).toMatch(/parley_llm_circuit_state\{provider="openai-compatible",model="fragile"\} 0/);

		// Other models of the same provider were never affected.
		expect((await client.post("/v1/chat", { prompt: "fine", model: "sturdy" }, { token })).status).toBe(200);
	});

	it("sends the conversation history to the model on follow-ups", async () => {
		const first = await client.post<{ conversation_id: string }>(
			"/v1/chat",
			{ prompt: "My name is Ada.", system: "Be kind." },
			{ token },
		);
		await client.post(
			"/v1/chat",
			{ prompt: "What is my name?", conversation_id: first.body.conversation_id },
			{ token },
		);
		const sent = upstream.requests.at(-1)?.body as { messages: Array<{ role: string; content: string }> } | undefined;
		const messages = sent?.messages ?? [];
		expect(messages.slice(1)).toEqual([
			{ role: "user", content: "My name is Ada." },
			{ role: "assistant", content: fixtures.text },
			{ role: "user", content: "What is my name?" },
		]);
		// The system prompt the user set, then what Parley remembered from the first message.
		expect(messages[0]?.role).toBe("system");
		expect(messages[0]?.content.startsWith("Be kind.")).toBe(true);
		expect(messages[0]?.content).toContain("Ada");
	});

	it("ends a stream that breaks mid-way with an error event and stores nothing", async () => {
		upstream.script({ type: "drop", afterEvents: 3 });
		const response = await fetch(`${parley.url}/v1/chat`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: JSON.stringify({ prompt: "this stream will break", stream: true, model: "dropper" }),
		});
		expect(response.status).toBe(200);
		const events = await readEvents(response);
		expect(events[0]?.event).toBe("message-start");
		expect(events.at(-1)?.event).toBe("error");
		expect(events.at(-1)?.data).toMatchObject({ code: expect.stringMatching(/^provider_/) });
		// Streams are never retried after the first token.
		expect(upstream.requests).toHaveLength(1);
		const start = events[0]?.data as { conversation_id: string } | undefined;
		const conversationId = start?.conversation_id;
		expect(conversationId).toBeTruthy();
		expect((await client.get(`/v1/conversations/${conversationId}`, { token })).status).toBe(404);
	});

	it("reports a provider that stays down with a 5xx problem document, never a hang", async () => {
		upstream.rule(() => ({ type: "error", status: 500 }));
		const response = await client.post("/v1/generate", { prompt: "x", model: "always-down" }, { token });
		expect(response.status).toBe(502);
		expect(response.body.code).toBe("provider_error");
		expect(upstream.requests).toHaveLength(3);
	});
});
