import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

// Real: Parley + SQLite over HTTP. User B must never read or change anything of user A's.
describe("isolation between users", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let alice: string;
	let bob: string;
	let aliceConversation: string;
	let aliceInteraction: string;
	let aliceKeyId: string;

	beforeAll(async () => {
		parley = await startParley();
		client = apiClient(parley.url);
		alice = (await signUp(client, "alice@example.com")).accessToken;
		bob = (await signUp(client, "bob@example.com")).accessToken;
		const chat = await client.post<{ conversation_id: string; interaction_id: string }>(
			"/v1/chat",
			{ prompt: "Alice's secret plan" },
			{ token: alice },
		);
		aliceConversation = chat.body.conversation_id;
		aliceInteraction = chat.body.interaction_id;
		aliceKeyId = (await client.post<{ id: string }>("/v1/api-keys", { name: "alice" }, { token: alice })).body.id;
	});
	afterAll(() => parley.close());

	it("Bob gets 404 for Alice's conversation on every route", async () => {
		const notFound = async (response: Promise<{ status: number; body: Record<string, unknown> }>) => {
			const result = await response;
			expect(result.status).toBe(404);
			expect(result.body.code).toBe("not_found");
		};
		await notFound(client.get(`/v1/conversations/${aliceConversation}`, { token: bob }));
		await notFound(client.get(`/v1/chat?chat_id=${aliceConversation}`, { token: bob }));
		await notFound(client.patch(`/v1/conversations/${aliceConversation}`, { title: "pwned" }, { token: bob }));
		await notFound(client.delete(`/v1/conversations/${aliceConversation}`, { token: bob }));
		await notFound(client.post("/v1/chat", { prompt: "continue", conversation_id: aliceConversation }, { token: bob }));
		await notFound(client.post("/v1/chat", { prompt: "continue", chat_id: aliceConversation }, { token: bob }));
		await notFound(client.delete(`/v1/api-keys/${aliceKeyId}`, { token: bob }));
	});

	it("Bob's lists never show Alice's data", async () => {
		const conversations = await client.get("/v1/conversations", { token: bob });
		expect(conversations.text).not.toContain(aliceConversation);
		const history = await client.get("/v1/history", { token: bob });
		expect(history.text).not.toContain(aliceInteraction);
		expect(history.text).not.toContain("secret plan");
		const keys = await client.get("/v1/api-keys", { token: bob });
		expect(keys.text).not.toContain(aliceKeyId);
	});

	it("Alice's data is untouched by Bob's attempts", async () => {
		const detail = await client.get<{ title: string; messages: unknown[] }>(`/v1/conversations/${aliceConversation}`, {
			token: alice,
		});
		expect(detail.status).toBe(200);
		expect(detail.body.title).toBe("Alice's secret plan");
		expect(detail.body.messages).toHaveLength(2);
		expect((await client.get("/v1/api-keys", { token: alice })).text).toContain(aliceKeyId);
	});

	it("a user's API key acts only as that user", async () => {
		const bobKey = (await client.post<{ key: string }>("/v1/api-keys", {}, { token: bob })).body.key;
		expect((await client.get(`/v1/conversations/${aliceConversation}`, { apiKey: bobKey })).status).toBe(404);
		// A JWT of Alice with Bob's key is refused rather than mixing identities.
		const mixed = await client.get("/v1/users/me", { token: alice, apiKey: bobKey });
		expect(mixed.status).toBe(401);
	});
});
