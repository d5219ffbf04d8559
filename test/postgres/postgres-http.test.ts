import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";
import { createTestDatabase, describeWithPostgres, type TestDatabase } from "../support/postgres.js";

// Real: Parley over HTTP with DATABASE_URL=postgres://… (a fresh database with pgvector), the mock
// model and the local embedder: the whole product on the PostgreSQL store.
await describeWithPostgres("Parley on PostgreSQL", () => {
	describe("Parley on PostgreSQL over HTTP", () => {
		let database: TestDatabase;
		let parley: RunningParley;
		beforeAll(async () => {
			database = await createTestDatabase();
			parley = await startParley({ DATABASE_URL: database.url, DEMO_KNOWLEDGE: "false", DATABASE_POOL_SIZE: "4" });
		});
		afterAll(async () => {
			await parley?.close();
			await database?.drop();
		});

		it("is ready, and chats, remembers the conversation and searches documents of one user only", async () => {
			const client = apiClient(parley.url);
			const ready = await client.get<{ status: string; checks: Record<string, { status: string }> }>("/v1/ready");
			expect(ready.status).toBe(200);
			expect(ready.body.checks.storage?.status).toBe("ok");

			const ada = await signUp(client, "ada@example.com");
			const chat = await client.post<{ conversation_id: string }>(
				"/v1/chat",
				{ prompt: "hello from postgres" },
				{ token: ada.accessToken },
			);
			expect(chat.status, chat.text).toBe(200);
			const conversations = await client.get<{ data: Array<{ id: string }> }>("/v1/conversations", {
				token: ada.accessToken,
			});
			expect(conversations.body.data.map((conversation) => conversation.id)).toEqual([chat.body.conversation_id]);

			const added = await client.post(
				"/v1/documents",
				{ title: "Hangar notes", text: "The zeppelin hangar in Friedrichshafen holds two airships." },
				{ token: ada.accessToken },
			);
			expect(added.status, added.text).toBe(201);
			for (const mode of ["keyword", "vector", "hybrid"]) {
				const found = await client.get<{ data: Array<{ title: string }> }>(
					`/v1/search?q=${encodeURIComponent("zeppelin hangars")}&mode=${mode}`,
					{ token: ada.accessToken },
				);
				expect(found.status, found.text).toBe(200);
				expect(found.body.data[0]?.title).toBe("Hangar notes");
			}

			const grace = await signUp(client, "grace@example.com");
			const theirs = await client.get<{ data: unknown[] }>(`/v1/search?q=zeppelin`, { token: grace.accessToken });
			expect(theirs.body.data).toEqual([]);
			const notTheirs = await client.get(`/v1/conversations/${chat.body.conversation_id}`, {
				token: grace.accessToken,
			});
			expect(notTheirs.status).toBe(404);
		});
	});
});
