import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uploadDocument } from "../support/document-upload.js";
import { type ApiClient, type ApiResponse, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

interface DocumentBody {
	id: string;
	title: string;
	collection: string;
	shared: boolean;
}
interface Hits {
	data: Array<{ document_id: string; title: string; text: string }>;
}

const secretWord = "zanzibarquux";
const modes = ["keyword", "vector", "hybrid"] as const;

function expectStatus(response: ApiResponse<unknown>, status: number, code?: string) {
	expect(response.status, response.text).toBe(status);
	if (code) expect(response.body).toMatchObject({ code });
}

// Real: Parley + SQLite over HTTP, three accounts (ADMIN_EMAILS makes one an admin).
describe("documents: isolation between users and shared collections", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let alice: string;
	let bob: string;
	let admin: string;
	let aliceDocument: DocumentBody;
	let sharedDocument: DocumentBody;

	const search = (token: string, query: string, extra = "") =>
		client.get<Hits>(`/v1/search?q=${encodeURIComponent(query)}&k=50${extra}`, { token });

	beforeAll(async () => {
		parley = await startParley({ ADMIN_EMAILS: "chief@example.com", DEMO_KNOWLEDGE: "false" });
		client = apiClient(parley.url);
		alice = (await signUp(client, "alice@example.com")).accessToken;
		bob = (await signUp(client, "bob@example.com")).accessToken;
		admin = (await signUp(client, "chief@example.com")).accessToken;
		expectStatus(await client.post("/v1/collections", { name: "diary" }, { token: alice }), 201);
		const created = await client.post<DocumentBody>(
			"/v1/documents",
			{ title: "Alice's diary", text: `# Secrets\n\nThe vault code word is ${secretWord}.`, collection: "diary" },
			{ token: alice },
		);
		expectStatus(created, 201);
		aliceDocument = created.body;

		expectStatus(
			await client.post(
				"/v1/collections",
				{ name: "team-handbook", shared: true, description: "For everyone" },
				{ token: admin },
			),
			201,
		);
		const shared = await uploadDocument(
			parley.url,
			admin,
			{ bytes: "# Expenses\n\nTravel expenses are reimbursed within ten days.", fileName: "expenses.md" },
			{ collection: "team-handbook" },
		);
		expectStatus(shared, 201);
		sharedDocument = shared.body as unknown as DocumentBody;
	});
	afterAll(() => parley.close());

	it("Bob never sees Alice's documents in lists", async () => {
		const listed = await client.get("/v1/documents?limit=100", { token: bob });
		expect(listed.text).not.toContain(aliceDocument.id);
		expect(listed.text).not.toContain(secretWord);
		const collections = await client.get("/v1/collections", { token: bob });
		expect(collections.text).not.toContain("diary");
		expectStatus(await client.get("/v1/documents?collection=diary", { token: bob }), 404, "not_found");
	});

	it("Bob gets 404 for Alice's document, and cannot delete it", async () => {
		expectStatus(await client.get(`/v1/documents/${aliceDocument.id}`, { token: bob }), 404, "not_found");
		expectStatus(await client.delete(`/v1/documents/${aliceDocument.id}`, { token: bob }), 404, "not_found");
		expectStatus(await client.get(`/v1/documents/${aliceDocument.id}`, { token: alice }), 200);
	});

	it("Bob's searches never return Alice's passages, whatever the query or mode", async () => {
		const crafted = [
			secretWord,
			`"${secretWord}"`,
			`${secretWord} OR *`,
			`${secretWord}*`,
			`NEAR(${secretWord} vault)`,
			`scope:user* ${secretWord}`,
			`' OR 1=1 -- ${secretWord}`,
			`${secretWord}) OR (1=1`,
			"vault code word",
		];
		for (const query of crafted) {
			for (const mode of modes) {
				const hits = await search(bob, query, `&mode=${mode}`);
				expect(hits.status, `${mode}: ${query}`).toBe(200);
				expect(hits.text, `${mode}: ${query}`).not.toContain(secretWord);
				expect(hits.body.data.map((hit) => hit.document_id)).not.toContain(aliceDocument.id);
			}
		}
		expectStatus(await search(bob, secretWord, "&collection=diary"), 404, "not_found");
		// Alice finds her own passage, so the queries above could have matched.
		expect((await search(alice, secretWord, "&mode=keyword")).body.data.map((hit) => hit.document_id)).toContain(
			aliceDocument.id,
		);
	});

	it("shared collections are readable by everyone", async () => {
		const collections = await client.get<{ data: Array<{ name: string; shared: boolean }> }>("/v1/collections", {
			token: bob,
		});
		expect(collections.body.data).toContainEqual(expect.objectContaining({ name: "team-handbook", shared: true }));
		const fetched = await client.get<DocumentBody>(`/v1/documents/${sharedDocument.id}`, { token: bob });
		expect(fetched.body).toMatchObject({ collection: "team-handbook", shared: true });
		const hits = await search(bob, "travel expenses reimbursed");
		expect(hits.body.data.map((hit) => hit.document_id)).toContain(sharedDocument.id);
		const inCollection = await client.get<{ data: DocumentBody[] }>("/v1/documents?collection=team-handbook", {
			token: alice,
		});
		expect(inCollection.body.data.map((document) => document.id)).toEqual([sharedDocument.id]);
	});

	it("only admins write shared collections: others get 403", async () => {
		expectStatus(
			await client.post("/v1/collections", { name: "bob-shared", shared: true }, { token: bob }),
			403,
			"forbidden",
		);
		expectStatus(
			await client.post(
				"/v1/documents",
				{ title: "Spam", text: "Buy now", collection: "team-handbook" },
				{ token: bob },
			),
			403,
			"forbidden",
		);
		expectStatus(
			await uploadDocument(parley.url, bob, { bytes: "spam", fileName: "spam.txt" }, { collection: "team-handbook" }),
			403,
			"forbidden",
		);
		expectStatus(await client.delete(`/v1/documents/${sharedDocument.id}`, { token: bob }), 404, "not_found");
		const listed = await client.get<{ data: DocumentBody[] }>("/v1/documents?collection=team-handbook", { token: bob });
		expect(listed.body.data).toHaveLength(1);
	});

	it("an admin's deletion of a shared document removes it from everyone's search", async () => {
		const extra = await client.post<DocumentBody>(
			"/v1/documents",
			{ title: "Parking", text: "The parking garage closes at midnight on weekdays.", collection: "team-handbook" },
			{ token: admin },
		);
		expectStatus(extra, 201);
		expect((await search(bob, "parking garage midnight", "&mode=keyword")).body.data).toHaveLength(1);
		expectStatus(await client.delete(`/v1/documents/${extra.body.id}`, { token: admin }), 204);
		for (const mode of modes) {
			const hits = await search(bob, "parking garage closes midnight", `&mode=${mode}`);
			expect(hits.body.data.map((hit) => hit.document_id)).not.toContain(extra.body.id);
		}
	});
});
