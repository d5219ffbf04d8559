import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../support/fake-upstream.js";
import { type ApiClient, apiClient, readEvents, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

interface Citation {
	number: number;
	document_id: string;
	title: string;
	chunk_id: string;
	score: number;
	snippet: string;
}

const handbook = `# Lighthouse handbook

## Opening hours
The Saltmarsh lighthouse opens to visitors at nine in the morning and closes at five in the afternoon.

## Tickets
A ticket costs twelve euros. Children under six enter free of charge.`;

// Real: Parley + SQLite (FTS5 + sqlite-vec) + the local embedder + the offline mock model over HTTP;
// the official openai SDK for chat/completions; a local fake OpenAI-compatible upstream where the
// test must see what the model was sent.
describe("answers grounded on the caller's documents", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let alice: string;
	let bob: string;
	let handbookId: string;

	beforeAll(async () => {
		parley = await startParley({ DEMO_KNOWLEDGE: "false" });
		client = apiClient(parley.url);
		alice = (await signUp(client, "alice@example.com")).accessToken;
		bob = (await signUp(client, "bob@example.com")).accessToken;
		const uploaded = await client.post<{ id: string }>(
			"/v1/documents",
			{ title: "Lighthouse handbook", text: handbook, collection: "travel" },
			{ token: alice },
		);
		expect(uploaded.status).toBe(201);
		handbookId = uploaded.body.id;
	});
	afterAll(() => parley.close());

	it("answers from the passages with citation markers and returns the citations", async () => {
		const chat = await client.post<{ response: string; citations: Citation[]; conversation_id: string }>(
			"/v1/chat",
			{ prompt: "When does the lighthouse open to visitors?" },
			{ token: alice },
		);
		expect(chat.status).toBe(200);
		expect(chat.body.response).toMatch(/nine in the morning.*\[\d\]/);
		expect(chat.body.citations.length).toBeGreaterThan(0);
		expect(chat.body.citations[0]).toMatchObject({
			number: 1,
			document_id: handbookId,
			title: "Lighthouse handbook",
			chunk_id: expect.any(String),
			snippet: expect.any(String),
		});
		// Stored with the answer, so the conversation shows them too.
		const detail = await client.get<{ messages: Array<{ role: string; citations?: Citation[] }> }>(
			`/v1/conversations/${chat.body.conversation_id}`,
			{ token: alice },
		);
		expect(detail.body.messages[1]?.citations?.[0]?.document_id).toBe(handbookId);
	});

	it("returns the passage texts as `context` on /v1/generate", async () => {
		const generated = await client.post<{ generated: string; context: string[]; citations: Citation[] }>(
			"/v1/generate",
			{ prompt: "How much does a ticket cost?" },
			{ token: alice },
		);
		expect(generated.body.context.some((passage) => passage.includes("twelve euros"))).toBe(true);
		expect(generated.body.generated).toContain("twelve euros");
	});

	it("does not retrieve with rag: false, nor for prompts unrelated to any document", async () => {
		const off = await client.post<{ response: string; citations: Citation[] }>(
			"/v1/chat",
			{ prompt: "When does the lighthouse open?", rag: false },
			{ token: alice },
		);
		expect(off.body.citations).toEqual([]);
		expect(off.body.response).toContain("[mock]");
		const unrelated = await client.post<{ citations: Citation[] }>("/v1/chat", { prompt: "Olá!" }, { token: alice });
		expect(unrelated.body.citations).toEqual([]);
	});

	it("retrieves only from the named collection, and 404s for an unknown one", async () => {
		const inTravel = await client.post<{ citations: Citation[] }>(
			"/v1/chat",
			{ prompt: "ticket price", collection: "travel" },
			{ token: alice },
		);
		expect(inTravel.body.citations[0]?.document_id).toBe(handbookId);
		await client.post("/v1/collections", { name: "empty-shelf" }, { token: alice });
		const elsewhere = await client.post<{ citations: Citation[] }>(
			"/v1/chat",
			{ prompt: "ticket price", collection: "empty-shelf" },
			{ token: alice },
		);
		expect(elsewhere.body.citations).toEqual([]);
		const unknown = await client.post("/v1/chat", { prompt: "ticket price", collection: "nope" }, { token: alice });
		expect(unknown.status).toBe(404);
	});

	it("never grounds another user's answer on Alice's document, even with her exact words", async () => {
		// Each prompt quotes the handbook; the answer must not contain the handbook's next words.
		for (const [prompt, elsewhereInDocument] of [
			["When does the Saltmarsh lighthouse open to visitors? nine in the morning", "five in the afternoon"],
			["twelve euros children under six", "free of charge"],
		] as const) {
			const chat = await client.post<{ response: string; citations: Citation[] }>(
				"/v1/chat",
				{ prompt },
				{ token: bob },
			);
			expect(chat.body.citations).toEqual([]);
			expect(chat.body.response).not.toContain(elsewhereInDocument);
		}
		const travel = await client.post("/v1/chat", { prompt: "ticket", collection: "travel" }, { token: bob });
		expect(travel.status).toBe(404);
	});

	it("streams the citations in message-start", async () => {
		const response = await fetch(`${parley.url}/v1/chat`, {
			method: "POST",
			headers: { authorization: `Bearer ${alice}`, "content-type": "application/json" },
			body: JSON.stringify({ prompt: "How much does a ticket cost?", stream: true }),
		});
		const events = await readEvents(response);
		const start = events[0]?.data as { citations: Citation[] };
		expect(start.citations[0]?.document_id).toBe(handbookId);
		const end = events.at(-1)?.data as { response: string; citations: Citation[] };
		expect(end.response).toContain("twelve euros");
		expect(end.citations).toEqual(start.citations);
	});

	it("grounds chat/completions only when asked (rag: true), with citations in the body and the stream", async () => {
		const key = (await client.post<{ key: string }>("/v1/api-keys", {}, { token: alice })).body.key;
		const sdk = new OpenAI({ baseURL: `${parley.url}/v1`, apiKey: key, maxRetries: 0 });
		const question = { role: "user" as const, content: "How much does a ticket cost?" };
		const plain = await sdk.chat.completions.create({ model: "mock/parley-mock-1", messages: [question] });
		expect(plain).not.toHaveProperty("citations");
		expect(plain.choices[0]?.message.content).toContain("[mock]");

		const grounded = (await sdk.chat.completions.create({
			model: "mock/parley-mock-1",
			messages: [question],
			// @ts-expect-error Parley's extension fields are not in the SDK's types.
			rag: true,
			k: 2,
		})) as unknown as OpenAI.ChatCompletion & { citations: Citation[] };
		expect(grounded.choices[0]?.message.content).toContain("twelve euros");
		expect(grounded.citations[0]?.document_id).toBe(handbookId);

		const stream = await sdk.chat.completions.create({
			model: "mock/parley-mock-1",
			messages: [question],
			stream: true,
			// @ts-expect-error Parley's extension field.
			rag: true,
		});
		let text = "";
		let citations: Citation[] | undefined;
		for await (const chunk of stream) {
			text += chunk.choices[0]?.delta.content ?? "";
			const extra = (chunk as unknown as { citations?: Citation[] }).citations;
			if (extra) citations = extra;
		}
		expect(text).toContain("twelve euros");
		expect(citations?.[0]?.document_id).toBe(handbookId);
	});
});

describe("what the model is sent", () => {
	let upstream: FakeUpstream;
	let parley: RunningParley;
	let client: ApiClient;
	let token: string;

	beforeAll(async () => {
		upstream = await startFakeUpstream();
		parley = await startParley({
			DEMO_KNOWLEDGE: "false",
			OPENAI_COMPATIBLE_BASE_URL: upstream.url,
			MEMORY_EXTRACTION: "rules",
		});
		client = apiClient(parley.url);
		token = (await signUp(client, "carol@example.com")).accessToken;
		await client.post("/v1/documents", { title: "Lighthouse handbook", text: handbook }, { token });
	});
	afterAll(async () => {
		await parley.close();
		await upstream.close();
	});

	it("puts numbered passages in the system prompt, keeps the user's own system prompt first, and forwards no Parley field", async () => {
		await client.post(
			"/v1/chat/completions",
			{
				model: "openai-compatible/gpt-4o-mini",
				messages: [
					{ role: "system", content: "Answer in one sentence." },
					{ role: "user", content: "When does the lighthouse open?" },
				],
				rag: true,
			},
			{ token },
		);
		const sent = upstream.requests.at(-1)?.body as Record<string, unknown> & {
			messages: Array<{ role: string; content: string }>;
		};
		expect(sent).not.toHaveProperty("rag");
		expect(sent.messages[0]).toEqual({ role: "system", content: "Answer in one sentence." });
		expect(sent.messages[1]?.role).toBe("system");
		expect(sent.messages[1]?.content).toMatch(/\[1\] Lighthouse handbook/);
		expect(sent.messages[1]?.content).toContain("nine in the morning");
		expect(sent.messages[2]).toEqual({ role: "user", content: "When does the lighthouse open?" });
	});

	it("tells the model what it remembers about the user, and stops once the memory is deleted", async () => {
		await client.post("/v1/chat", { prompt: "I'm a marine biologist.", rag: false }, { token });
		let memories: Array<{ id: string; text: string }> = [];
		for (let attempt = 0; attempt < 50 && memories.length === 0; attempt++) {
			memories = (await client.get<{ data: typeof memories }>("/v1/memories", { token })).body.data;
			if (memories.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
		}
		expect(memories[0]?.text).toMatch(/marine biologist/i);

		await client.post("/v1/chat", { prompt: "Suggest a marine biology book.", rag: false }, { token });
		const withMemory = upstream.requests.at(-1)?.body as { messages: Array<{ role: string; content: string }> };
		expect(withMemory.messages[0]?.role).toBe("system");
		expect(withMemory.messages[0]?.content).toMatch(/marine biologist/i);

		expect((await client.delete("/v1/memories", { token })).status).toBe(204);
		await client.post("/v1/chat", { prompt: "Suggest a marine biology book.", rag: false }, { token });
		const afterDeletion = upstream.requests.at(-1)?.body as { messages: Array<{ role: string; content: string }> };
		expect(JSON.stringify(afterDeletion.messages)).not.toMatch(/marine biologist/i);
	});
});
