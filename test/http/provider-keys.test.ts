import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../support/fake-upstream.js";
import { type ApiClient, type ApiResponse, apiClient, readEvents, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

// Real: Parley on 127.0.0.1 with its SQLite file, the fake OpenAI-compatible upstream over HTTP
// (it records the Authorization header of every call), pino logs captured from their stream.

const serverKey = "sk-server-openai-0000000000000000";
const openRouterKeyOfA = "sk-or-v1-user-a-1111111111111111111111";
const openAiKeyOfA = "sk-proj-user-a-2222222222222222222222";
const keyOfC = "sk-proj-user-c-3333333333333333333333";
const everyUserKey = [openRouterKeyOfA, openAiKeyOfA, keyOfC];

const expectProblem = (response: ApiResponse, status: number, code: string) => {
	expect(response.status, response.text).toBe(status);
	expect(response.headers.get("content-type")).toContain("application/problem+json");
	expect(response.body.code).toBe(code);
};

describe("bring your own key", () => {
	let upstream: FakeUpstream;
	let parley: RunningParley;
	let client: ApiClient;
	let alice: string;
	let bob: string;
	const responses: ApiResponse[] = [];
	const authorizationOfLastCall = () => upstream.requests.at(-1)?.headers.authorization;

	/** Every response goes through here, so the last test can check none carried a key. */
	async function call<T>(response: Promise<ApiResponse<T>>): Promise<ApiResponse<T>> {
		const received = await response;
		responses.push(received as ApiResponse<unknown> as ApiResponse);
		return received;
	}

	beforeAll(async () => {
		upstream = await startFakeUpstream();
		parley = await startParley({
			OPENAI_API_KEY: serverKey,
			OPENAI_BASE_URL: upstream.url,
			// No OPENROUTER_API_KEY: OpenRouter is reachable only with users' own keys.
			OPENROUTER_BASE_URL: upstream.url,
			PARLEY_MASTER_KEY: randomBytes(32).toString("base64"),
			PARLEY_MASTER_KEY_ID: "test-key-1",
			MEMORY_EXTRACTION: "rules",
			LLM_MAX_RETRIES: "0",
			// One counted failure would open a circuit: a user's rejected key must not count.
			LLM_BREAKER_THRESHOLD: "1",
		});
		client = apiClient(parley.url);
		alice = (await signUp(client, "alice@example.com")).accessToken;
		bob = (await signUp(client, "bob@example.com")).accessToken;
	});
	afterAll(async () => {
		await parley.close();
		await upstream.close();
	});
	beforeEach(() => upstream.reset());

	it("stores a key and shows only its provider, last four characters, master key id and dates", async () => {
		const put = await call(
			client.put("/v1/users/me/provider-keys/openrouter", { api_key: openRouterKeyOfA }, { token: alice }),
		);
		expect(put.status, put.text).toBe(200);
		expect(put.body).toEqual({
			provider: "openrouter",
			last_four: openRouterKeyOfA.slice(-4),
			base_url: null,
			key_id: "test-key-1",
			created_at: expect.any(String),
			updated_at: expect.any(String),
		});
		await call(client.put("/v1/users/me/provider-keys/openai", { api_key: openAiKeyOfA }, { token: alice }));
		const listed = await call(
			client.get<{ data: Array<{ provider: string }> }>("/v1/users/me/provider-keys", { token: alice }),
		);
		expect(listed.body.data.map((key) => key.provider)).toEqual(["openai", "openrouter"]);
		expect(upstream.requests).toHaveLength(0);
	});

	it("refuses bad input with 400 and a stable code", async () => {
		const put = (provider: string, body: unknown) =>
			call(client.put(`/v1/users/me/provider-keys/${provider}`, body, { token: alice }));
		expectProblem(await put("bedrock", { api_key: keyOfC }), 400, "validation_failed");
		expectProblem(await put("openai", { api_key: "" }), 400, "validation_failed");
		expectProblem(await put("openai", { api_key: "x".repeat(5000) }), 400, "validation_failed");
		expectProblem(await put("openai", { api_key: `${keyOfC}\r\nX-Injected: 1` }), 400, "validation_failed");
		expectProblem(await put("openai", { api_key: keyOfC, extra: true }), 400, "validation_failed");
		expectProblem(
			await put("openai", { api_key: keyOfC, base_url: "https://elsewhere.example/v1" }),
			400,
			"validation_failed",
		);
		// openai-compatible needs a base URL here (the server has none), and an http(s) one without credentials.
		expectProblem(await put("openai-compatible", { api_key: keyOfC }), 400, "validation_failed");
		expectProblem(
			await put("openai-compatible", { api_key: keyOfC, base_url: "ftp://llm.example" }),
			400,
			"validation_failed",
		);
		expectProblem(
			await put("openai-compatible", { api_key: keyOfC, base_url: "https://user:pw@llm.example/v1" }),
			400,
			"validation_failed",
		);
		expectProblem(
			await call(client.delete("/v1/users/me/provider-keys/bedrock", { token: alice })),
			400,
			"validation_failed",
		);
		expectProblem(await call(client.get("/v1/users/me/provider-keys")), 401, "authentication_required");
	});

	it("calls the provider with the owner's key; other users get the server's key, or nothing without one", async () => {
		const chat = (token: string, model: string) =>
			call(client.post("/v1/chat", { prompt: "Capital of France?", model }, { token }));
		expect((await chat(alice, "openrouter/meta-llama/llama-3.1-8b-instruct")).status).toBe(200);
		expect(authorizationOfLastCall()).toBe(`Bearer ${openRouterKeyOfA}`);
		expect((await chat(alice, "openai/gpt-4o-mini")).status).toBe(200);
		expect(authorizationOfLastCall()).toBe(`Bearer ${openAiKeyOfA}`);
		expect((await chat(bob, "openai/gpt-4o-mini")).status).toBe(200);
		expect(authorizationOfLastCall()).toBe(`Bearer ${serverKey}`);

		const before = upstream.requests.length;
		const refused = await chat(bob, "openrouter/meta-llama/llama-3.1-8b-instruct");
		expectProblem(refused, 400, "unknown_model");
		expect(refused.body.detail).toContain("PUT /v1/users/me/provider-keys/openrouter");
		expect(upstream.requests).toHaveLength(before);
		const bobsConversations = await client.get<{ data: unknown[] }>("/v1/conversations", { token: bob });
		expect(bobsConversations.body.data).toHaveLength(1);
	});

	it("uses the owner's key for streamed chat and for chat/completions, streamed or not", async () => {
		const streamed = await fetch(`${parley.url}/v1/chat`, {
			method: "POST",
			headers: { authorization: `Bearer ${alice}`, "content-type": "application/json" },
			body: JSON.stringify({ prompt: "hi", model: "openrouter/openai/gpt-4o-mini", stream: true }),
		});
		const events = await readEvents(streamed);
		expect(events.at(-1)?.event).toBe("message-end");
		expect(authorizationOfLastCall()).toBe(`Bearer ${openRouterKeyOfA}`);

		const completion = { model: "openrouter/openai/gpt-4o-mini", messages: [{ role: "user", content: "hi" }] };
		const json = await call(client.post("/v1/chat/completions", completion, { token: alice }));
		expect(json.status, json.text).toBe(200);
		expect(authorizationOfLastCall()).toBe(`Bearer ${openRouterKeyOfA}`);
		const stream = await call(client.post("/v1/chat/completions", { ...completion, stream: true }, { token: alice }));
		expect(stream.status).toBe(200);
		expect(stream.text).toContain("data: [DONE]");
		expect(authorizationOfLastCall()).toBe(`Bearer ${openRouterKeyOfA}`);

		const serverKeyCall = await call(
			client.post("/v1/chat/completions", { ...completion, model: "openai/gpt-4o-mini" }, { token: bob }),
		);
		expect(serverKeyCall.status).toBe(200);
		expect(authorizationOfLastCall()).toBe(`Bearer ${serverKey}`);
		expectProblem(await call(client.post("/v1/chat/completions", completion, { token: bob })), 400, "unknown_model");
	});

	it("says when the provider rejects a user's key, without opening the circuit for everyone", async () => {
		upstream.script({ type: "error", status: 401 });
		const rejected = await call(
			client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o-mini" }, { token: alice }),
		);
		expectProblem(rejected, 400, "provider_key_rejected");
		expect(rejected.body.detail).toContain("PUT /v1/users/me/provider-keys/openai");
		const others = await call(client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o-mini" }, { token: bob }));
		expect(others.status, others.text).toBe(200);
		expect(authorizationOfLastCall()).toBe(`Bearer ${serverKey}`);
	});

	it("does not let a user's exhausted quota (429 to their key) open the circuit for everyone", async () => {
		upstream.script({ type: "error", status: 429 });
		const limited = await call(
			client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o-mini" }, { token: alice }),
		);
		expectProblem(limited, 503, "provider_overloaded");
		const others = await call(client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o-mini" }, { token: bob }));
		expect(others.status, others.text).toBe(200);
		// The same 429 to the server's own key does count: the circuit opens (threshold 1).
		upstream.script({ type: "error", status: 429 });
		await call(client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o" }, { token: bob }));
		const paused = await call(client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o" }, { token: bob }));
		expectProblem(paused, 503, "provider_unavailable");
	});

	it("keeps each user's keys to themselves", async () => {
		const bobsList = await call(client.get<{ data: unknown[] }>("/v1/users/me/provider-keys", { token: bob }));
		expect(bobsList.body.data).toEqual([]);
		expectProblem(await call(client.delete("/v1/users/me/provider-keys/openrouter", { token: bob })), 404, "not_found");
		await call(client.post("/v1/chat", { prompt: "hi", model: "openrouter/x/y" }, { token: alice }));
		expect(authorizationOfLastCall()).toBe(`Bearer ${openRouterKeyOfA}`);
	});

	it("refuses a stored key that was altered in the database with a clear error, and keeps serving", async () => {
		const carol = (await signUp(client, "carol@example.com")).accessToken;
		await call(client.put("/v1/users/me/provider-keys/openai", { api_key: keyOfC }, { token: carol }));
		const database = new Database(path.join(parley.dataDirectory, "parley.db"));
		try {
			const row = database
				.prepare<[], { user_id: string; ciphertext: Buffer }>(
					"SELECT p.user_id, p.ciphertext FROM provider_keys p JOIN users u ON u.id = p.user_id WHERE u.email = 'carol@example.com'",
				)
				.get();
			if (row === undefined) throw new Error("carol's key is not stored");
			row.ciphertext[0] = (row.ciphertext[0] ?? 0) ^ 0xff;
			database.prepare("UPDATE provider_keys SET ciphertext = ? WHERE user_id = ?").run(row.ciphertext, row.user_id);
		} finally {
			database.close();
		}
		const before = upstream.requests.length;
		const response = await call(
			client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o-mini" }, { token: carol }),
		);
		expectProblem(response, 409, "provider_key_unreadable");
		expect(upstream.requests).toHaveLength(before);
		expect(parley.logLines.some((line) => line.includes("stored provider key cannot be decrypted"))).toBe(true);
		// Storing it again repairs it.
		await call(client.put("/v1/users/me/provider-keys/openai", { api_key: keyOfC }, { token: carol }));
		expect(
			(await call(client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o-mini" }, { token: carol }))).status,
		).toBe(200);
		expect(authorizationOfLastCall()).toBe(`Bearer ${keyOfC}`);
	});

	it("goes back to the server's key, or to nothing, as soon as the key is deleted", async () => {
		await call(client.post("/v1/chat", { prompt: "warm the cache", model: "openai/gpt-4o-mini" }, { token: alice }));
		expect((await call(client.delete("/v1/users/me/provider-keys/openai", { token: alice }))).status).toBe(204);
		await call(client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o-mini" }, { token: alice }));
		expect(authorizationOfLastCall()).toBe(`Bearer ${serverKey}`);
		await call(client.post("/v1/chat", { prompt: "warm the cache", model: "openrouter/x/y" }, { token: alice }));
		expect((await call(client.delete("/v1/users/me/provider-keys/openrouter", { token: alice }))).status).toBe(204);
		expectProblem(
			await call(client.post("/v1/chat", { prompt: "hi", model: "openrouter/x/y" }, { token: alice })),
			400,
			"unknown_model",
		);
	});

	it("an upstream failure with a user's key is logged without the key", async () => {
		await call(client.put("/v1/users/me/provider-keys/openrouter", { api_key: openRouterKeyOfA }, { token: alice }));
		upstream.script({ type: "error", status: 500 });
		expectProblem(
			await call(client.post("/v1/chat", { prompt: "hi", model: "openrouter/x/y" }, { token: alice })),
			502,
			"provider_error",
		);
		expect(parley.logLines.some((line) => line.includes('"request failed"'))).toBe(true);
	});

	it("never puts a key in a response, a log line or the database file", async () => {
		for (const response of responses) {
			const headers = [...response.headers.entries()].map(([name, value]) => `${name}: ${value}`).join("\n");
			for (const key of everyUserKey) {
				expect(response.text).not.toContain(key);
				expect(headers).not.toContain(key);
			}
		}
		const logs = parley.logLines.join("\n");
		for (const key of [...everyUserKey, serverKey]) expect(logs).not.toContain(key);

		const database = new Database(path.join(parley.dataDirectory, "parley.db"), { readonly: true });
		try {
			const count = database.prepare<[], { count: number }>("SELECT count(*) AS count FROM provider_keys").get();
			expect(count?.count).toBeGreaterThanOrEqual(2);
		} finally {
			database.close();
		}
		// The database file, its write-ahead log and anything else Parley keeps in DATA_DIR.
		const files = await readdir(parley.dataDirectory, { recursive: true, withFileTypes: true });
		const contents = await Promise.all(
			files.filter((entry) => entry.isFile()).map((entry) => readFile(path.join(entry.parentPath, entry.name))),
		);
		expect(contents.length).toBeGreaterThanOrEqual(2);
		for (const content of contents) {
			for (const key of everyUserKey) expect(content.includes(Buffer.from(key))).toBe(false);
		}
	});
});

describe("BYOK_REQUIRED=true", () => {
	let upstream: FakeUpstream;
	let parley: RunningParley;
	let client: ApiClient;
	let token: string;

	beforeAll(async () => {
		upstream = await startFakeUpstream();
		parley = await startParley({
			OPENAI_API_KEY: serverKey,
			OPENAI_BASE_URL: upstream.url,
			BYOK_REQUIRED: "true",
			MEMORY_EXTRACTION: "rules",
		});
		client = apiClient(parley.url);
		token = (await signUp(client, "dana@example.com")).accessToken;
	});
	afterAll(async () => {
		await parley.close();
		await upstream.close();
	});

	it("refuses a user without their own key with 403 provider_key_required before any model call or write", async () => {
		const chat = await client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o-mini" }, { token });
		expectProblem(chat, 403, "provider_key_required");
		expect(chat.body.detail).toContain("PUT /v1/users/me/provider-keys/openai");
		const completions = await client.post(
			"/v1/chat/completions",
			{ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
			{ token },
		);
		expectProblem(completions, 403, "provider_key_required");
		expect(completions.body.error).toMatchObject({ type: "permission_error", code: "provider_key_required" });
		expectProblem(
			await client.post("/v1/generate", { prompt: "hi", model: "openai/gpt-4o-mini" }, { token }),
			403,
			"provider_key_required",
		);
		expect(upstream.requests).toHaveLength(0);
		expect((await client.get<{ data: unknown[] }>("/v1/conversations", { token })).body.data).toHaveLength(0);
		expect((await client.get<{ data: unknown[] }>("/v1/history", { token })).body.data).toHaveLength(0);
	});

	it("lets the offline mock through, and the user's own key once stored", async () => {
		expect((await client.post("/v1/chat", { prompt: "hi", model: "mock/parley-mock-1" }, { token })).status).toBe(200);
		await client.put("/v1/users/me/provider-keys/openai", { api_key: keyOfC }, { token });
		const chat = await client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o-mini" }, { token });
		expect(chat.status, chat.text).toBe(200);
		expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${keyOfC}`);
	});
});
