import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../../src/auth/principal.js";
import { type ApiClient, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

interface Memory {
	id: string;
	text: string;
	kind: string;
	source: string;
	source_interaction_id: string | null;
	created_at: string;
	updated_at: string;
}
interface MemoryPage {
	data: Memory[];
	next_cursor: string | null;
}

const problemType = "application/problem+json";

// Real: Parley + SQLite over HTTP, the configured (local) embedder and the rule-based extractor.
describe("memory API", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let alice: { token: string; userId: string };
	let bob: { token: string; userId: string };

	const principalOf = (userId: string): Principal => ({
		userId,
		email: null,
		username: null,
		roles: ["user"],
		method: "access-token",
		apiKeyId: null,
		mayActForOthers: false,
	});
	const contextFor = (userId: string, prompt: string) =>
		parley.runtime.dependencies.memory.contextFor(principalOf(userId), prompt, { maxTokens: 500 });
	const list = async (token: string, query = "") =>
		(await client.get<MemoryPage>(`/v1/memories${query}`, { token })).body.data.map((memory) => memory.text);

	beforeAll(async () => {
		parley = await startParley();
		client = apiClient(parley.url);
		const a = await signUp(client, "memory-alice@example.com");
		const b = await signUp(client, "memory-bob@example.com");
		alice = { token: a.accessToken, userId: a.userId };
		bob = { token: b.accessToken, userId: b.userId };
	});
	afterAll(() => parley.close());

	it("adds, lists, pages, filters, reads, corrects and deletes memories", async () => {
		const created = await client.post<Memory>(
			"/v1/memories",
			{ text: "Is allergic to peanuts" },
			{ token: alice.token },
		);
		expect(created.status).toBe(201);
		expect(created.body).toMatchObject({
			text: "Is allergic to peanuts",
			kind: "fact",
			source: "manual",
			source_interaction_id: null,
		});
		expect(Object.keys(created.body)).not.toContain("vector");

		const again = await client.post<Memory>("/v1/memories", { text: "is allergic to peanuts" }, { token: alice.token });
		expect(again.status).toBe(200);
		expect(again.body.id).toBe(created.body.id);

		for (const text of ["Prefers short answers", "Prefers answers with TypeScript examples"]) {
			const response = await client.post("/v1/memories", { text, kind: "preference" }, { token: alice.token });
			expect(response.status).toBe(201);
		}
		const firstPage = await client.get<MemoryPage>("/v1/memories?limit=2", { token: alice.token });
		expect(firstPage.body.data).toHaveLength(2);
		expect(firstPage.body.next_cursor).toEqual(expect.any(String));
		const secondPage = await client.get<MemoryPage>(`/v1/memories?limit=2&cursor=${firstPage.body.next_cursor}`, {
			token: alice.token,
		});
		expect(secondPage.body).toMatchObject({ next_cursor: null });
		expect([...firstPage.body.data, ...secondPage.body.data].map((memory) => memory.text)).toEqual([
			"Prefers answers with TypeScript examples",
			"Prefers short answers",
			"Is allergic to peanuts",
		]);
		expect(await list(alice.token, "?kind=fact")).toEqual(["Is allergic to peanuts"]);

		const read = await client.get<Memory>(`/v1/memories/${created.body.id}`, { token: alice.token });
		expect(read.body).toEqual(created.body);
		const patched = await client.patch<Memory>(
			`/v1/memories/${created.body.id}`,
			{ text: "Is allergic to peanuts and cashews", kind: "fact" },
			{ token: alice.token },
		);
		expect(patched.status).toBe(200);
		expect(patched.body).toMatchObject({ id: created.body.id, text: "Is allergic to peanuts and cashews" });

		expect((await client.delete(`/v1/memories/${created.body.id}`, { token: alice.token })).status).toBe(204);
		expect((await client.get(`/v1/memories/${created.body.id}`, { token: alice.token })).status).toBe(404);
		expect((await client.delete(`/v1/memories/${created.body.id}`, { token: alice.token })).status).toBe(404);
		expect(await list(alice.token, "?kind=fact")).toEqual([]);

		expect((await client.delete("/v1/memories", { token: alice.token })).status).toBe(204);
		expect(await list(alice.token)).toEqual([]);
	});

	it("learns from what the user says and forgets it for real when deleted", async () => {
		const memory = parley.runtime.dependencies.memory;
		await memory.observe(principalOf(alice.userId), { message: "I live in Lisbon", interactionId: "turn-1" });
		const [learnt] = (await client.get<MemoryPage>("/v1/memories", { token: alice.token })).body.data;
		expect(learnt).toMatchObject({
			text: "Lives in Lisbon",
			kind: "fact",
			source: "chat",
			source_interaction_id: "turn-1",
		});

		const context = await contextFor(alice.userId, "What should I visit in Lisbon this weekend?");
		expect(context.text).toBe("What you know about the user:\n- Lives in Lisbon");

		expect((await client.delete(`/v1/memories/${learnt!.id}`, { token: alice.token })).status).toBe(204);
		expect(await list(alice.token)).toEqual([]);
		expect(await contextFor(alice.userId, "What should I visit in Lisbon this weekend?")).toEqual({
			text: "",
			memories: [],
		});
	});

	it("switches memory off and on, through its settings and through the profile", async () => {
		expect((await client.get("/v1/memories/settings", { token: alice.token })).body).toEqual({ enabled: true });
		expect((await client.get("/v1/users/me", { token: alice.token })).body.memory_enabled).toBe(true);

		await client.post("/v1/memories", { text: "Prefers short answers", kind: "preference" }, { token: alice.token });
		const off = await client.put("/v1/memories/settings", { enabled: false }, { token: alice.token });
		expect(off.body).toEqual({ enabled: false });
		expect((await client.get("/v1/users/me", { token: alice.token })).body.memory_enabled).toBe(false);
		expect((await contextFor(alice.userId, "Tell me a story")).text).toBe("");
		await parley.runtime.dependencies.memory.observe(principalOf(alice.userId), { message: "I'm vegetarian" });
		expect(await list(alice.token)).toEqual(["Prefers short answers"]);

		const on = await client.patch("/v1/users/me", { memory_enabled: true }, { token: alice.token });
		expect(on.body.memory_enabled).toBe(true);
		expect((await client.get("/v1/memories/settings", { token: alice.token })).body).toEqual({ enabled: true });
		expect((await contextFor(alice.userId, "Tell me a story")).text).toContain("Prefers short answers");
		await client.delete("/v1/memories", { token: alice.token });
	});

	it("keeps every user's memories to themselves", async () => {
		const secret = await client.post<Memory>("/v1/memories", { text: "Lives in Lisbon" }, { token: alice.token });
		const id = secret.body.id;

		expect(await list(bob.token)).toEqual([]);
		expect((await client.get(`/v1/memories/${id}`, { token: bob.token })).status).toBe(404);
		const stolen = await client.patch(`/v1/memories/${id}`, { text: "Lives in Porto" }, { token: bob.token });
		expect(stolen.status).toBe(404);
		expect(stolen.headers.get("content-type")).toContain(problemType);
		expect((await client.delete(`/v1/memories/${id}`, { token: bob.token })).status).toBe(404);
		expect((await client.delete("/v1/memories", { token: bob.token })).status).toBe(204);
		expect((await client.put("/v1/memories/settings", { enabled: false }, { token: bob.token })).status).toBe(200);
		expect((await client.get("/v1/memories/settings", { token: alice.token })).body).toEqual({ enabled: true });
		await client.put("/v1/memories/settings", { enabled: true }, { token: bob.token });
		// Bob saying the same thing makes his own memory, not a match with Alice's.
		expect((await client.post("/v1/memories", { text: "Lives in Lisbon" }, { token: bob.token })).status).toBe(201);
		expect((await contextFor(bob.userId, "Lisbon")).memories.every((memory) => memory.userId === bob.userId)).toBe(
			true,
		);
		await client.delete("/v1/memories", { token: bob.token });

		expect((await client.get<Memory>(`/v1/memories/${id}`, { token: alice.token })).body.text).toBe("Lives in Lisbon");
		expect((await contextFor(bob.userId, "Where is Lisbon?")).text).toBe("");
		expect((await client.get("/v1/memories", {})).status).toBe(401);
		expect((await client.delete("/v1/memories", {})).status).toBe(401);
		expect((await client.get(`/v1/memories/${id}`, { token: alice.token })).status).toBe(200);
	});

	it.each([
		["POST", "/v1/memories", { text: "" }, "validation_failed"],
		["POST", "/v1/memories", { text: "   " }, "validation_failed"],
		["POST", "/v1/memories", { text: "x".repeat(1001) }, "validation_failed"],
		["POST", "/v1/memories", { text: "Likes tea", kind: "opinion" }, "validation_failed"],
		["POST", "/v1/memories", { text: "Likes tea", importance: 3 }, "validation_failed"],
		["POST", "/v1/memories", { text: 42 }, "validation_failed"],
		["POST", "/v1/memories", {}, "validation_failed"],
		["PATCH", "/v1/memories/0193a5c4-7b1e-7c2d-9f10-3e4d5a6b7c8d", {}, "validation_failed"],
		["PATCH", "/v1/memories/0193a5c4-7b1e-7c2d-9f10-3e4d5a6b7c8d", { text: "" }, "validation_failed"],
		["PUT", "/v1/memories/settings", { enabled: "yes" }, "validation_failed"],
		["PUT", "/v1/memories/settings", {}, "validation_failed"],
		["PATCH", "/v1/users/me", { memory_enabled: "off" }, "validation_failed"],
		["GET", "/v1/memories?limit=0", undefined, "validation_failed"],
		["GET", "/v1/memories?limit=101", undefined, "validation_failed"],
		["GET", "/v1/memories?kind=opinion", undefined, "validation_failed"],
		["GET", "/v1/memories?sort=text", undefined, "validation_failed"],
		["GET", "/v1/memories?cursor=not-a-cursor!", undefined, "invalid_cursor"],
		["GET", `/v1/memories/${"x".repeat(101)}`, undefined, "validation_failed"],
	])("%s %s %j → 400 %s", async (method, path, body, code) => {
		const response = await client.call(method, path, body, { token: alice.token });
		expect(response.status).toBe(400);
		expect(response.headers.get("content-type")).toContain(problemType);
		expect(response.body).toMatchObject({ status: 400, code });
	});

	it("answers malformed JSON with 400 invalid_json, changing nothing", async () => {
		const response = await client.post("/v1/memories", undefined, {
			token: alice.token,
			rawBody: '{"text": "Lives in',
			headers: { "content-type": "application/json" },
		});
		expect(response.status).toBe(400);
		expect(response.body).toMatchObject({ code: "invalid_json" });
		expect(await list(alice.token, "?kind=preference")).toEqual([]);
	});
});
