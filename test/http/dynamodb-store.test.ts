import { randomBytes } from "node:crypto";
import { QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDynamoDbUrl } from "../../src/store/dynamodb/dynamodb-config.js";
import { createDynamoTable, type DynamoTable } from "../../src/store/dynamodb/dynamodb-table.js";
import { type LocalDynamo, startLocalDynamo } from "../support/dynalite.js";
import { type FakeUpstream, startFakeUpstream } from "../support/fake-upstream.js";
import { type ApiClient, type ApiResponse, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";
import { waitForQuestion } from "../support/questions.js";

const serverKey = "sk-server-openai-0000000000000000";
const aliceKey = "sk-proj-alice-4444444444444444444444";
const handbook = `# Lighthouse handbook

## Opening hours
The Saltmarsh lighthouse opens to visitors at nine in the morning and closes at five in the afternoon.`;

const expectStatus = (response: ApiResponse<unknown>, status: number, code?: string) => {
	expect(response.status, response.text).toBe(status);
	if (code !== undefined) expect(response.body).toMatchObject({ code });
};

/**
 * One representative journey through the serverless store, so CI covers Parley on DynamoDB end
 * to end (the store contract covers each repository on its own). Real: Parley over HTTP with
 * DATABASE_URL=dynamodb://… on dynalite (DynamoDB's API, in this process, on 127.0.0.1), the
 * embedded queue's worker taking question jobs from the table, the offline mock model, and the
 * fake OpenAI-compatible upstream recording each call's Authorization.
 */
describe("Parley on DynamoDB", () => {
	let local: LocalDynamo;
	let table: DynamoTable;
	let upstream: FakeUpstream;
	let parley: RunningParley;
	let client: ApiClient;
	let alice: { accessToken: string; userId: string };
	let bob: { accessToken: string; userId: string };
	let admin: { accessToken: string; userId: string };

	const allItems = async () => (await table.client.send(new ScanCommand({ TableName: table.tableName }))).Items ?? [];

	beforeAll(async () => {
		local = await startLocalDynamo();
		const databaseUrl = local.freshDatabaseUrl("parley-http");
		table = createDynamoTable(parseDynamoDbUrl(databaseUrl));
		upstream = await startFakeUpstream();
		parley = await startParley({
			DATABASE_URL: databaseUrl,
			ADMIN_EMAILS: "boss@example.com",
			DEMO_KNOWLEDGE: "false",
			MEMORY_EXTRACTION: "rules",
			DEFAULT_MODEL: "mock/parley-mock-1",
			LLM_PRICES: JSON.stringify({ "mock/parley-mock-1": { input: 2, output: 8 } }),
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
		table?.close();
		await local?.stop();
	});

	it("keeps its data in the DynamoDB table, passwords hashed", async () => {
		expect(parley.runtime.dependencies.store.capabilities.backend).toBe("dynamodb");
		const ready = await fetch(`${parley.url}/v1/ready`).then((response) => response.json() as Promise<unknown>);
		expect(JSON.stringify(ready)).toContain("dynamodb");
		const users = (await allItems()).filter((item) => String(item.pk).startsWith("USER#") && item.sk === "PROFILE");
		expect(users.map((item) => (item.data as { email: string }).email).sort()).toEqual([
			"alice@example.com",
			"bob@example.com",
			"boss@example.com",
		]);
		expect(JSON.stringify(users)).not.toContain("correct horse");
	});

	it("chats in a conversation with history, usage per user and for operators, and an enforced budget", async () => {
		const first = await client.post<{ conversation_id: string; usage: { total_tokens: number; cost_usd: number } }>(
			"/v1/chat",
			{ prompt: "What do lighthouses do?" },
			{ token: alice.accessToken },
		);
		expectStatus(first, 200);
		const second = await client.post<{ usage: { total_tokens: number } }>(
			"/v1/chat",
			{ prompt: "And at night?", conversation_id: first.body.conversation_id },
			{ token: alice.accessToken },
		);
		expectStatus(second, 200);
		expectStatus(await client.post("/v1/chat", { prompt: "Hello" }, { token: bob.accessToken }), 200);

		const conversation = await client.get<{ message_count: number; messages: unknown[] }>(
			`/v1/conversations/${first.body.conversation_id}`,
			{ token: alice.accessToken },
		);
		expectStatus(conversation, 200);
		expect(conversation.body.message_count).toBe(4);
		expect(conversation.body.messages).toHaveLength(4);
		expectStatus(
			await client.get(`/v1/conversations/${first.body.conversation_id}`, { token: bob.accessToken }),
			404,
			"not_found",
		);
		const usage = await client.get<{ totals: { requests: number; total_tokens: number } }>("/v1/usage", {
			token: alice.accessToken,
		});
		expect(usage.body.totals).toMatchObject({
			requests: 2,
			total_tokens: first.body.usage.total_tokens + second.body.usage.total_tokens,
		});
		const byUser = await client.get<{ buckets: Array<{ key: string; requests: number }> }>(
			"/v1/admin/usage?group_by=user",
			{ token: admin.accessToken },
		);
		expectStatus(byUser, 200);
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

		expectStatus(
			await client.delete(`/v1/conversations/${first.body.conversation_id}`, { token: alice.accessToken }),
			204,
		);
		const turns = await table.client.send(
			new QueryCommand({
				TableName: table.tableName,
				KeyConditionExpression: "pk = :partition",
				ExpressionAttributeValues: { ":partition": `CONV#${alice.userId}#${first.body.conversation_id}` },
			}),
		);
		expect(turns.Items).toEqual([]);
	});

	it("replays an Idempotency-Key from the table", async () => {
		const send = () =>
			client.post<{ interaction_id: string }>(
				"/v1/chat",
				{ prompt: "Once only" },
				{ token: alice.accessToken, headers: { "idempotency-key": "dynamo-key-1" } },
			);
		const original = await send();
		expectStatus(original, 200);
		const replay = await send();
		expectStatus(replay, 200);
		expect(replay.headers.get("idempotent-replayed")).toBe("true");
		expect(replay.body.interaction_id).toBe(original.body.interaction_id);
	});

	it("keeps a provider key encrypted and uses it for its owner only", async () => {
		expectStatus(
			await client.put("/v1/users/me/provider-keys/openai", { api_key: aliceKey }, { token: alice.accessToken }),
			200,
		);
		expect(JSON.stringify(await allItems())).not.toContain(aliceKey);
		const chat = (token: string) => client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o-mini" }, { token });
		expectStatus(await chat(alice.accessToken), 200);
		expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${aliceKey}`);
		expectStatus(await chat(bob.accessToken), 200);
		expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${serverKey}`);
	});

	it("answers a question from the owner's document with the embedded worker, and remembers facts", async () => {
		expectStatus(
			await client.post(
				"/v1/documents",
				{ title: "Lighthouse handbook", text: handbook },
				{ token: alice.accessToken },
			),
			201,
		);
		const asked = await client.post<{ id: string }>(
			"/v1/questions",
			{ question: "When does the Saltmarsh lighthouse open?", session_id: "visit-1" },
			{ token: alice.accessToken },
		);
		expectStatus(asked, 202);
		const answered = await waitForQuestion(client, asked.body.id, alice.accessToken);
		expect(answered).toMatchObject({ status: "answered", attempts: 1 });
		expect(answered.answer).toMatch(/nine in the morning/);
		expectStatus(await client.get(`/v1/questions/${asked.body.id}`, { token: bob.accessToken }), 404, "not_found");
		const bobSearch = await client.get<{ data: unknown[] }>("/v1/search?q=lighthouse", { token: bob.accessToken });
		expect(bobSearch.body.data).toEqual([]);

		expectStatus(
			await client.post("/v1/chat", { prompt: "I'm a software developer." }, { token: alice.accessToken }),
			200,
		);
		const memories = async () =>
			(await client.get<{ data: Array<{ text: string }> }>("/v1/memories", { token: alice.accessToken })).body.data;
		for (let attempt = 0; attempt < 50 && (await memories()).length === 0; attempt += 1) {
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		expect((await memories()).map((memory) => memory.text).join(" ")).toMatch(/software developer/i);
		expect((await client.get<{ data: unknown[] }>("/v1/memories", { token: bob.accessToken })).body.data).toEqual([]);
	});
});
