import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

interface Similar {
	data: Array<{ id: string; prompt: string; response: string; score: number; created_at: string }>;
}

// Real: Parley + SQLite (FTS5 + sqlite-vec) + the local embedder + the mock model over HTTP.
describe("prompts and similar prompts (Prompt Service seed)", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let alice: string;
	let bob: string;

	beforeAll(async () => {
		parley = await startParley({ DEMO_KNOWLEDGE: "false" });
		client = apiClient(parley.url);
		alice = (await signUp(client, "alice@example.com")).accessToken;
		bob = (await signUp(client, "bob@example.com")).accessToken;
	});
	afterAll(() => parley.close());

	it("answers a prompt, logs it, and accepts the websocket flag", async () => {
		const response = await client.post<{ id: string; prompt: string; response: string; websocket: boolean }>(
			"/v1/prompts",
			{ prompt: "hola mundo", websocket: false },
			{ token: alice },
		);
		expect(response.status).toBe(201);
		expect(response.body).toMatchObject({ prompt: "hola mundo", websocket: false });
		expect(response.body.response).toContain("hola mundo");
		const history = await client.get<{ data: Array<{ interaction_id: string; endpoint: string }> }>(
			"/v1/history?limit=1",
			{
				token: alice,
			},
		);
		expect(history.body.data[0]).toMatchObject({ interaction_id: response.body.id, endpoint: "prompts" });
	});

	it("finds the caller's most similar earlier prompts, best first, on both routes", async () => {
		for (const prompt of [
			"How do I bake sourdough bread at home?",
			"What is the capital of Australia?",
			"Best temperature for baking bread in a home oven",
			"How many moons does Jupiter have?",
		]) {
			expect((await client.post("/v1/prompts", { prompt }, { token: alice })).status).toBe(201);
		}
		const similar = await client.get<Similar>(`/v1/prompts/similar?q=${encodeURIComponent("baking bread")}&k=2`, {
			token: alice,
		});
		expect(similar.status).toBe(200);
		expect(similar.body.data).toHaveLength(2);
		expect(similar.body.data.map((item) => item.prompt).sort()).toEqual(
			["Best temperature for baking bread in a home oven", "How do I bake sourdough bread at home?"].sort(),
		);
		expect(similar.body.data[0]!.score).toBeGreaterThanOrEqual(similar.body.data[1]!.score);
		const viaHistory = await client.get<Similar>("/v1/history/search?q=Jupiter%20moons&k=1", { token: alice });
		expect(viaHistory.body.data[0]?.prompt).toBe("How many moons does Jupiter have?");
	});

	it("never returns another user's prompts, and keeps prompts out of document search", async () => {
		const forBob = await client.get<Similar>("/v1/prompts/similar?q=sourdough%20bread&k=5", { token: bob });
		expect(forBob.body.data).toEqual([]);
		const documents = await client.get<{ data: unknown[] }>("/v1/search?q=sourdough%20bread", { token: alice });
		expect(documents.body.data).toEqual([]);
		const listed = await client.get<{ data: unknown[] }>("/v1/documents", { token: alice });
		expect(listed.body.data).toEqual([]);
	});

	it("validates its input", async () => {
		expect((await client.get("/v1/prompts/similar?k=3", { token: alice })).status).toBe(400);
		expect((await client.get("/v1/prompts/similar?q=x&k=500", { token: alice })).status).toBe(400);
		expect((await client.post("/v1/prompts", { prompt: "" }, { token: alice })).status).toBe(400);
		expect((await client.post("/v1/prompts", { prompt: "x", extra: 1 }, { token: alice })).status).toBe(400);
		expect((await client.get("/v1/prompts/similar?q=x")).status).toBe(401);
	});
});
