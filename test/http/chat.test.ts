import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, apiClient, readEvents, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

interface ChatBody {
	interaction_id: string;
	conversation_id: string;
	userId: string;
	prompt: string;
	response: string;
	model: string;
	usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
	finish_reason: string;
	timestamp: string;
}

// Real: Parley + SQLite over HTTP with the offline mock model.
describe("chat and conversations", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let token: string;
	let userId: string;
	beforeAll(async () => {
		// No documents: these tests are about chat itself (grounded answers: rag-chat.test.ts).
		parley = await startParley({ MOCK_LLM_STREAM_DELAY_MS: "2", DEMO_KNOWLEDGE: "false" });
		client = apiClient(parley.url);
		({ accessToken: token, userId } = await signUp(client, "chatter@example.com"));
	});
	afterAll(() => parley.close());

	it("creates a conversation, answers, and stores both messages with usage", async () => {
		const first = await client.post<ChatBody>("/v1/chat", { prompt: "Hello there, model" }, { token });
		expect(first.status).toBe(200);
		expect(first.body).toMatchObject({
			userId,
			prompt: "Hello there, model",
			model: "mock/parley-mock-1",
			finish_reason: "stop",
		});
		expect(first.body.response).toContain("Hello there, model");
		expect(first.body.usage.total_tokens).toBe(first.body.usage.prompt_tokens + first.body.usage.completion_tokens);
		expect(first.body.usage.prompt_tokens).toBeGreaterThan(0);
		expect(new Date(first.body.timestamp).toISOString()).toBe(first.body.timestamp);

		const second = await client.post<ChatBody>(
			"/v1/chat",
			{ prompt: "And a follow-up", conversation_id: first.body.conversation_id },
			{ token },
		);
		expect(second.body.conversation_id).toBe(first.body.conversation_id);
		// The follow-up's prompt carries the first turn as history, so it costs more tokens.
		expect(second.body.usage.prompt_tokens).toBeGreaterThan(first.body.usage.prompt_tokens);

		const detail = await client.get<{
			title: string;
			message_count: number;
			usage: { total_tokens: number };
			messages: Array<{ role: string; content: string; interaction_id: string }>;
		}>(`/v1/conversations/${first.body.conversation_id}`, { token });
		expect(detail.status).toBe(200);
		expect(detail.body.title).toBe("Hello there, model");
		expect(detail.body.message_count).toBe(4);
		expect(detail.body.messages.map((message) => message.role)).toEqual(["user", "assistant", "user", "assistant"]);
		expect(detail.body.messages[1]?.content).toBe(first.body.response);
		expect(detail.body.usage.total_tokens).toBe(first.body.usage.total_tokens + second.body.usage.total_tokens);

		const alias = await client.get(`/v1/chat?chat_id=${first.body.conversation_id}`, { token });
		expect(alias.body).toEqual(detail.body);
	});

	it("treats chat_id as an alias, with an empty string starting a new conversation (seed polyglot persistence)", async () => {
		const fresh = await client.post<ChatBody>(
			"/v1/chat",
			{ chat_id: "", prompt: "new one", model: "mock/parley-mock-1" },
			{ token },
		);
		expect(fresh.status).toBe(200);
		const continued = await client.post<ChatBody>(
			"/v1/chat",
			{ chat_id: fresh.body.conversation_id, prompt: "same one" },
			{ token },
		);
		expect(continued.body.conversation_id).toBe(fresh.body.conversation_id);
	});

	it("lists conversations newest first with cursor pagination and title search, renames and deletes", async () => {
		const own = await signUp(client, "lister@example.com");
		const ids: string[] = [];
		for (const prompt of ["alpha topic", "beta topic", "gamma topic", "delta other"]) {
			ids.push((await client.post<ChatBody>("/v1/chat", { prompt }, { token: own.accessToken })).body.conversation_id);
		}
		const page1 = await client.get<{ data: Array<{ id: string }>; next_cursor: string | null }>(
			"/v1/conversations?limit=3",
			{ token: own.accessToken },
		);
		expect(page1.body.data.map((item) => item.id)).toEqual([ids[3], ids[2], ids[1]]);
		expect(page1.body.next_cursor).not.toBeNull();
		const page2 = await client.get<{ data: Array<{ id: string }>; next_cursor: string | null }>(
			`/v1/conversations?limit=3&cursor=${encodeURIComponent(page1.body.next_cursor as string)}`,
			{ token: own.accessToken },
		);
		expect(page2.body.data.map((item) => item.id)).toEqual([ids[0]]);
		expect(page2.body.next_cursor).toBeNull();

		const search = await client.get<{ data: Array<{ id: string }> }>("/v1/conversations?q=TOPIC", {
			token: own.accessToken,
		});
		expect(search.body.data).toHaveLength(3);

		const renamed = await client.patch(`/v1/conversations/${ids[0]}`, { title: "Renamed" }, { token: own.accessToken });
		expect(renamed.body.title).toBe("Renamed");
		expect((await client.delete(`/v1/conversations/${ids[0]}`, { token: own.accessToken })).status).toBe(204);
		expect((await client.get(`/v1/conversations/${ids[0]}`, { token: own.accessToken })).status).toBe(404);
		const history = await client.get<{ data: Array<{ conversation_id: string }> }>("/v1/history?limit=100", {
			token: own.accessToken,
		});
		expect(history.body.data.some((item) => item.conversation_id === ids[0])).toBe(false);
	});

	it("streams Server-Sent Events: message-start, text-delta…, message-end with usage", async () => {
		const response = await fetch(`${parley.url}/v1/chat`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "text/event-stream" },
			body: JSON.stringify({ prompt: "Stream me an answer please" }),
		});
		expect(response.status).toBe(200);
		expect(response.headers.get("content-type")).toContain("text/event-stream");
		expect(response.headers.get("x-request-id")).toBeTruthy();
		const events = await readEvents(response);
		expect(events[0]?.event).toBe("message-start");
		const deltas = events.filter((event) => event.event === "text-delta");
		expect(deltas.length).toBeGreaterThan(3);
		const end = events.at(-1);
		expect(end?.event).toBe("message-end");
		const final = end?.data as ChatBody;
		expect(deltas.map((event) => (event.data as { delta: string }).delta).join("")).toBe(final.response);
		expect(final.usage.completion_tokens).toBeGreaterThan(0);
		const start = events[0]?.data as { interaction_id: string; conversation_id: string };
		expect(final.interaction_id).toBe(start.interaction_id);

		const stored = await client.get<{ messages: Array<{ content: string }> }>(
			`/v1/conversations/${start.conversation_id}`,
			{
				token,
			},
		);
		expect(stored.body.messages[1]?.content).toBe(final.response);
	});

	it("stores the complete answer even when the client disconnects mid-stream", async () => {
		const controller = new AbortController();
		const response = await fetch(`${parley.url}/v1/chat`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: JSON.stringify({ prompt: "A prompt whose answer will be cut off by the client going away", stream: true }),
			signal: controller.signal,
		});
		const reader = (response.body as ReadableStream<Uint8Array>).getReader();
		const first = new TextDecoder().decode((await reader.read()).value);
		const conversationId = /"conversation_id":"([^"]+)"/.exec(first)?.[1] as string;
		expect(conversationId).toBeTruthy();
		controller.abort();

		let messages: Array<{ role: string; content: string }> = [];
		for (let attempt = 0; attempt < 100 && messages.length < 2; attempt++) {
			await new Promise((resolve) => setTimeout(resolve, 20));
			const detail = await client.get<{ messages: typeof messages }>(`/v1/conversations/${conversationId}`, { token });
			messages = detail.status === 200 ? detail.body.messages : [];
		}
		expect(messages).toHaveLength(2);
		expect(messages[1]?.content).toContain("cut off by the client going away");
		expect(messages[1]?.content.endsWith("real answers.")).toBe(true);
	});

	it("answers /v1/generate with the seed's shape and records it in history", async () => {
		const response = await client.post<{
			generated: string;
			context: string[];
			user: Record<string, unknown>;
			request_id: string;
			interaction_id: string;
		}>("/v1/generate", { prompt: "Como funciona RAG?" }, { token, headers: { "x-request-id": "gen-1" } });
		expect(response.status).toBe(200);
		expect(response.body.generated).toContain("Como funciona RAG?");
		expect(Array.isArray(response.body.context)).toBe(true);
		expect(response.body.user).toEqual({ sub: userId, email: "chatter@example.com", "custom:roles": ["user"] });
		expect(response.body.request_id).toBe("gen-1");
		const history = await client.get<{
			data: Array<{ interaction_id: string; endpoint: string; conversation_id: null }>;
		}>("/v1/history?limit=1", { token });
		expect(history.body.data[0]).toMatchObject({
			interaction_id: response.body.interaction_id,
			endpoint: "generate",
			conversation_id: null,
		});
	});

	it("honours max_tokens with finish_reason length", async () => {
		const response = await client.post<ChatBody>("/v1/chat", { prompt: "Say a lot", max_tokens: 3 }, { token });
		expect(response.body.finish_reason).toBe("length");
		expect(response.body.usage.completion_tokens).toBeLessThanOrEqual(3);
	});
});
