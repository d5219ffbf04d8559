import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../support/fake-upstream.js";
import { type ApiClient, type ApiResponse, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";
import { createTestDatabase, postgresUnavailableBecause, type TestDatabase } from "../support/postgres.js";
import { waitForQuestion } from "../support/questions.js";

const serverKey = "sk-server-openai-0000000000000000";
const aliceKey = "sk-proj-alice-4444444444444444444444";
const handbook = `# Lighthouse handbook

## Opening hours
The Saltmarsh lighthouse opens to visitors at nine in the morning and closes at five in the afternoon.`;
const mockPrices = { input: 2, output: 8 };

interface Totals {
	requests: number;
	total_tokens: number;
	cost_usd: number;
	unpriced_requests: number;
}

const expectStatus = (response: ApiResponse<unknown>, status: number, code?: string) => {
	expect(response.status, response.text).toBe(status);
	if (code !== undefined) expect(response.body).toMatchObject({ code });
};

/**
 * One representative journey through the distributed store, so CI covers Parley on PostgreSQL
 * end to end (the store contract covers each repository on its own).
 * Real: Parley over HTTP on a fresh PostgreSQL database (with pgvector) made for this file, the
 * embedded queue's worker inside the server working question jobs stored in PostgreSQL, the
 * offline mock model, and the fake OpenAI-compatible upstream recording each call's Authorization.
 */
async function describeOnPostgres(): Promise<void> {
	const unavailable = await postgresUnavailableBecause();
	if (unavailable !== undefined) {
		if (process.env.CI === "true") {
			describe("Parley on PostgreSQL", () => {
				it("runs under CI", () => {
					throw new Error(`PostgreSQL is required under CI=true: ${unavailable}`);
				});
			});
		} else {
			describe.skip(`Parley on PostgreSQL (${unavailable})`, () => {
				it("needs PostgreSQL", () => {});
			});
		}
		return;
	}

	describe("Parley on PostgreSQL", () => {
		let database: TestDatabase;
		let sqlClient: pg.Client;
		let upstream: FakeUpstream;
		let parley: RunningParley;
		let client: ApiClient;
		let alice: { accessToken: string; userId: string };
		let bob: { accessToken: string; userId: string };
		let admin: { accessToken: string; userId: string };

		beforeAll(async () => {
			database = await createTestDatabase();
			sqlClient = new pg.Client({ connectionString: database.url });
			await sqlClient.connect();
			upstream = await startFakeUpstream();
			parley = await startParley({
				DATABASE_URL: database.url,
				ADMIN_EMAILS: "boss@example.com",
				DEMO_KNOWLEDGE: "false",
				MEMORY_EXTRACTION: "rules",
				DEFAULT_MODEL: "mock/parley-mock-1",
				LLM_PRICES: JSON.stringify({ "mock/parley-mock-1": mockPrices }),
				LLM_CONTEXT_TOKENS: "4096",
				OPENAI_API_KEY: serverKey,
				OPENAI_BASE_URL: upstream.url,
				LLM_MAX_RETRIES: "0",
				PARLEY_MASTER_KEY: randomBytes(32).toString("base64"),
				PARLEY_MASTER_KEY_ID: "test-key-1",
			});
			client = apiClient(parley.url);
			alice = await signUp(client, "alice@example.com");
			bob = await signUp(client, "bob@example.com");
			admin = await signUp(client, "boss@example.com");
		});
		afterAll(async () => {
			await parley?.close();
			await upstream?.close();
			await sqlClient?.end();
			await database?.drop();
		});

		it("keeps its data in PostgreSQL", async () => {
			expect(parley.runtime.dependencies.store.capabilities.backend).toBe("postgres");
			const { rows } = await sqlClient.query<{ count: string }>(
				"SELECT count(*) FROM users WHERE email IN ('alice@example.com', 'bob@example.com')",
			);
			expect(Number(rows[0]?.count)).toBe(2);
		});

		it("reports its connection pool in /metrics", async () => {
			const metrics = await fetch(`${parley.url}/metrics`).then((response) => response.text());
			const total = /parley_database_pool_connections\{state="total"\} (\d+)/.exec(metrics);
			expect(Number(total?.[1])).toBeGreaterThanOrEqual(1);
			expect(metrics).toMatch(/parley_database_pool_connections\{state="waiting"\} \d+/);
		});

		it("chats in a conversation, with each call's cost stored and reported as the day's usage", async () => {
			const first = await client.post<{ conversation_id: string; usage: { total_tokens: number; cost_usd: number } }>(
				"/v1/chat",
				{ prompt: "What do lighthouses do?" },
				{ token: alice.accessToken },
			);
			expectStatus(first, 200);
			expect(first.body.usage.cost_usd).toBeGreaterThan(0);
			const second = await client.post<{ usage: { total_tokens: number; cost_usd: number } }>(
				"/v1/chat",
				{ prompt: "And at night?", conversation_id: first.body.conversation_id },
				{ token: alice.accessToken },
			);
			expectStatus(second, 200);
			expectStatus(await client.post("/v1/chat", { prompt: "Hello" }, { token: bob.accessToken }), 200);

			const usage = await client.get<{ totals: Totals; buckets: Array<Totals & { key: string }> }>("/v1/usage", {
				token: alice.accessToken,
			});
			expectStatus(usage, 200);
			expect(usage.body.totals).toMatchObject({
				requests: 2,
				total_tokens: first.body.usage.total_tokens + second.body.usage.total_tokens,
				unpriced_requests: 0,
			});
			expect(usage.body.totals.cost_usd).toBeCloseTo(first.body.usage.cost_usd + second.body.usage.cost_usd, 9);
			expect(usage.body.buckets.map((bucket) => bucket.key)).toEqual([new Date().toISOString().slice(0, 10)]);

			const { rows } = await sqlClient.query<{ cost: string | null }>(
				"SELECT cost_micro_usd AS cost FROM interactions WHERE user_id = $1",
				[alice.userId],
			);
			expect(rows.map((row) => Number(row.cost)).every((cost) => cost > 0)).toBe(true);

			// Operators see everyone, per user; a budget override is stored and enforced.
			const byUser = await client.get<{ buckets: Array<Totals & { key: string }> }>("/v1/admin/usage?group_by=user", {
				token: admin.accessToken,
			});
			expectStatus(byUser, 200);
			// Keys in byte order, as on SQLite.
			const expected: Array<[string, number]> = [
				[alice.userId, 2],
				[bob.userId, 1],
			];
			expected.sort(([left], [right]) => (left < right ? -1 : 1));
			expect(byUser.body.buckets.map((bucket) => [bucket.key, bucket.requests])).toEqual(expected);
			const budget = `/v1/admin/users/${bob.userId}/budget`;
			expectStatus(await client.put(budget, { daily_tokens: 1 }, { token: admin.accessToken }), 200);
			expectStatus(
				await client.post("/v1/chat", { prompt: "More?" }, { token: bob.accessToken }),
				429,
				"budget_exceeded",
			);
			expectStatus(await client.put(budget, { daily_tokens: null }, { token: admin.accessToken }), 200);
			expectStatus(await client.post("/v1/chat", { prompt: "More?" }, { token: bob.accessToken }), 200);
		});

		it("calls the provider with the owner's stored key, kept encrypted, and refuses it once altered", async () => {
			const put = await client.put(
				"/v1/users/me/provider-keys/openai",
				{ api_key: aliceKey },
				{ token: alice.accessToken },
			);
			expectStatus(put, 200);
			expect(put.text).not.toContain(aliceKey);
			const listed = await client.get<{ data: Array<{ provider: string; last_four: string }> }>(
				"/v1/users/me/provider-keys",
				{ token: alice.accessToken },
			);
			expect(listed.body.data).toEqual([
				expect.objectContaining({ provider: "openai", last_four: aliceKey.slice(-4) }),
			]);
			expect(
				(await client.get<{ data: unknown[] }>("/v1/users/me/provider-keys", { token: bob.accessToken })).body.data,
			).toEqual([]);

			const chat = (token: string) => client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o-mini" }, { token });
			const { rows } = await sqlClient.query<{ ciphertext: Buffer; wrapped_key: Buffer }>(
				"SELECT ciphertext, wrapped_key FROM provider_keys WHERE user_id = $1",
				[alice.userId],
			);
			expect(rows).toHaveLength(1);
			expect(Buffer.concat([rows[0]!.ciphertext, rows[0]!.wrapped_key]).includes(aliceKey)).toBe(false);

			// Flip one byte of the ciphertext before the key is first used (decrypted keys are cached):
			// authenticated decryption must refuse it rather than call out with something else.
			await sqlClient.query(
				"UPDATE provider_keys SET ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 255) WHERE user_id = $1",
				[alice.userId],
			);
			expectStatus(await chat(alice.accessToken), 409, "provider_key_unreadable");
			expect(upstream.requests).toHaveLength(0);
			// Storing it again repairs it; the owner's calls use it, other users' the server's key.
			expectStatus(
				await client.put("/v1/users/me/provider-keys/openai", { api_key: aliceKey }, { token: alice.accessToken }),
				200,
			);
			expectStatus(await chat(alice.accessToken), 200);
			expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${aliceKey}`);
			expectStatus(await chat(bob.accessToken), 200);
			expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${serverKey}`);
			expectStatus(await client.delete("/v1/users/me/provider-keys/openai", { token: alice.accessToken }), 204);
			expectStatus(await chat(alice.accessToken), 200);
			expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${serverKey}`);
		});

		it("answers a question with the embedded worker, from the owner's document, visible to the owner only", async () => {
			const uploaded = await client.post(
				"/v1/documents",
				{ title: "Lighthouse handbook", text: handbook },
				{ token: alice.accessToken },
			);
			expectStatus(uploaded, 201);
			const asked = await client.post<{ id: string; status: string }>(
				"/v1/questions",
				{ question: "When does the Saltmarsh lighthouse open?", session_id: "visit-1" },
				{ token: alice.accessToken },
			);
			expectStatus(asked, 202);
			const answered = await waitForQuestion(client, asked.body.id, alice.accessToken);
			expect(answered).toMatchObject({ status: "answered", attempts: 1, error: null });
			expect(answered.answer).toMatch(/nine in the morning/);
			expect(answered.citations[0]).toMatchObject({ title: "Lighthouse handbook" });

			expectStatus(await client.get(`/v1/questions/${asked.body.id}`, { token: bob.accessToken }), 404, "not_found");
			const bobsList = await client.get<{ data: unknown[] }>("/v1/questions", { token: bob.accessToken });
			expect(bobsList.body.data).toEqual([]);
			// The answer is an interaction like any other, so it is in the history and the usage.
			const history = await client.get<{ data: Array<{ interaction_id: string; endpoint: string }> }>("/v1/history", {
				token: alice.accessToken,
			});
			expect(history.body.data).toContainEqual(
				expect.objectContaining({ interaction_id: answered.interaction_id, endpoint: "questions" }),
			);
			// The finished job left the queue's table; the question row is where the worker wrote it.
			const jobs = await sqlClient.query("SELECT id FROM jobs");
			expect(jobs.rows).toEqual([]);
			const stored = await sqlClient.query<{ status: string }>("SELECT status FROM questions WHERE id = $1", [
				asked.body.id,
			]);
			expect(stored.rows).toEqual([{ status: "answered" }]);
		});
	});
}

await describeOnPostgres();
