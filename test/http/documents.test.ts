import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentFixture, uploadDocument } from "../support/document-upload.js";
import { type ApiClient, type ApiResponse, apiClient, signUp } from "../support/http-client.js";
import { minimalPdf } from "../support/minimal-pdf.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

interface DocumentBody {
	id: string;
	title: string;
	collection: string;
	chunk_count: number;
	characters: number;
	media_type: string;
	source_name: string | null;
	metadata: Record<string, unknown>;
	created_at: string;
}
interface SearchBody {
	data: Array<{ document_id: string; title: string; heading: string | null; text: string; snippet: string }>;
}

const maximumBytes = 2_000_000;

function expectProblem(response: ApiResponse<unknown>, status: number, code: string) {
	expect(response.status, response.text).toBe(status);
	expect(response.headers.get("content-type")).toContain("application/problem+json");
	expect(response.body).toMatchObject({ status, code });
}

// Real: Parley + SQLite (FTS5, sqlite-vec) + the local embedder over HTTP; uploads through fetch's FormData.
describe("documents API", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let token: string;
	const search = (query: string, extra = "") =>
		client.get<SearchBody>(`/v1/search?q=${encodeURIComponent(query)}${extra}`, { token });
	const documentCount = async () =>
		(await client.get<{ data: unknown[] }>("/v1/documents?limit=100", { token })).body.data.length;

	beforeAll(async () => {
		parley = await startParley({ DEMO_KNOWLEDGE: "false", DOCUMENT_MAX_BYTES: String(maximumBytes) });
		client = apiClient(parley.url);
		token = (await signUp(client, "librarian@example.com")).accessToken;
	});
	afterAll(() => parley.close());

	it("adds a JSON document and returns its representation", async () => {
		const created = await client.post<DocumentBody>(
			"/v1/documents",
			{
				title: "Return policy",
				text: "# Returns\n\nItems can be returned within 30 days.\n\n## Refunds\n\nRefunds take five business days.",
				metadata: { department: "support" },
			},
			{ token },
		);
		expect(created.status, created.text).toBe(201);
		expect(created.body).toMatchObject({
			title: "Return policy",
			collection: "default",
			media_type: "text/markdown",
			source_name: null,
			metadata: { department: "support" },
		});
		expect(created.body.chunk_count).toBeGreaterThan(0);
		expect(created.body.characters).toBeGreaterThan(50);
		const fetched = await client.get<DocumentBody>(`/v1/documents/${created.body.id}`, { token });
		expect(fetched.body).toEqual(created.body);
		const hits = await search("how long do refunds take");
		expect(hits.body.data[0]).toMatchObject({ document_id: created.body.id, title: "Return policy" });
		expect(hits.body.data[0]?.heading).toContain("Refunds");
	});

	it.each([
		["guide.md", "text/markdown", "Lighthouse keeping guide", "diaphone"],
		["notes.txt", "text/plain", "notes", "swarming colony"],
		["page.html", "text/html", "Volcano field trip", "Stromboli crater"],
		["data.json", "application/json", "Orchard inventory", "Reineta"],
		["table.csv", "text/csv", "table", "Coimbra"],
		["report.pdf", "application/pdf", "Glacier survey 2026", "Perito Moreno glacier"],
	])("uploads %s as multipart and finds it by search", async (fileName, mediaType, title, query) => {
		const uploaded = await uploadDocument(parley.url, token, { bytes: await documentFixture(fileName), fileName });
		expect(uploaded.status, uploaded.text).toBe(201);
		const document = uploaded.body as unknown as DocumentBody;
		expect(document).toMatchObject({ media_type: mediaType, title, source_name: fileName, collection: "default" });
		const hits = await search(query, "&k=3");
		expect(hits.body.data.map((hit) => hit.document_id)).toContain(document.id);
		expect(hits.text).not.toContain("should-not-be-indexed");
	});

	it("takes title, collection and metadata form fields, and lists by collection", async () => {
		const created = await client.post<{ id: string }>("/v1/collections", { name: "handbook" }, { token });
		expect(created.status).toBe(201);
		const again = await client.post<{ id: string }>("/v1/collections", { name: "handbook" }, { token });
		expect(again.status).toBe(200);
		expect(again.body.id).toBe(created.body.id);
		const uploaded = await uploadDocument(
			parley.url,
			token,
			{ bytes: "Vacation requests go to your manager two weeks ahead.", fileName: "vacation.txt", type: "text/plain" },
			{ title: "Vacation policy", collection: "handbook", metadata: '{"version": 2}' },
		);
		expect(uploaded.status, uploaded.text).toBe(201);
		expect(uploaded.body).toMatchObject({ title: "Vacation policy", collection: "handbook", metadata: { version: 2 } });
		const listed = await client.get<{ data: DocumentBody[] }>("/v1/documents?collection=handbook", { token });
		expect(listed.body.data.map((document) => document.title)).toEqual(["Vacation policy"]);
		const scoped = await search("vacation requests", "&collection=handbook&mode=keyword");
		expect(scoped.body.data.map((hit) => hit.title)).toEqual(["Vacation policy"]);
		expectProblem(await client.get("/v1/documents?collection=nowhere", { token }), 404, "not_found");
		// Uploading into a collection that does not exist yet creates it, privately.
		const intoNew = await client.post<{ collection: string; shared: boolean }>(
			"/v1/documents",
			{ title: "x", text: "y", collection: "brand-new" },
			{ token },
		);
		expect(intoNew.status).toBe(201);
		expect(intoNew.body).toMatchObject({ collection: "brand-new", shared: false });
		const collections = await client.get<{ data: Array<{ name: string; shared: boolean }> }>("/v1/collections", {
			token,
		});
		expect(collections.body.data).toContainEqual(expect.objectContaining({ name: "brand-new", shared: false }));
		expectProblem(await client.get("/v1/search?q=x&collection=still-nowhere", { token }), 404, "not_found");
	});

	it("pages through documents newest first", async () => {
		const first = await client.get<{ data: DocumentBody[]; next_cursor: string | null }>("/v1/documents?limit=2", {
			token,
		});
		expect(first.body.data).toHaveLength(2);
		expect(first.body.next_cursor).not.toBeNull();
		const second = await client.get<{ data: DocumentBody[] }>(
			`/v1/documents?limit=2&cursor=${encodeURIComponent(first.body.next_cursor as string)}`,
			{ token },
		);
		const firstIds = first.body.data.map((document) => document.id);
		for (const document of second.body.data) expect(firstIds).not.toContain(document.id);
		expect(first.body.data[0]!.created_at >= first.body.data[1]!.created_at).toBe(true);
		expectProblem(await client.get("/v1/documents?cursor=garbage", { token }), 400, "invalid_cursor");
	});

	it("deletes a document: 204, then 404, and its passages leave search", async () => {
		const created = await client.post<DocumentBody>(
			"/v1/documents",
			{ title: "Ephemeral", text: "The quokkaphant is a temporary creature." },
			{ token },
		);
		expect((await search("quokkaphant", "&mode=keyword")).body.data).toHaveLength(1);
		const deleted = await client.delete(`/v1/documents/${created.body.id}`, { token });
		expect(deleted.status).toBe(204);
		expectProblem(await client.get(`/v1/documents/${created.body.id}`, { token }), 404, "not_found");
		expectProblem(await client.delete(`/v1/documents/${created.body.id}`, { token }), 404, "not_found");
		for (const mode of ["keyword", "vector", "hybrid"]) {
			const hits = await search("quokkaphant temporary creature", `&mode=${mode}&k=50`);
			expect(hits.body.data.map((hit) => hit.document_id)).not.toContain(created.body.id);
		}
	});

	it("accepts a 1 MB single-line text, as JSON and as a file", async () => {
		const line = "lorem ipsum dolor sit amet ".repeat(40_000).slice(0, 1_000_000).trimEnd();
		const json = await client.post<DocumentBody>("/v1/documents", { title: "One long line", text: line }, { token });
		expect(json.status, json.text).toBe(201);
		expect(json.body.characters).toBe(line.length);
		const file = await uploadDocument(parley.url, token, { bytes: line, fileName: "long.txt", type: "text/plain" });
		expect(file.status, file.text).toBe(201);
	});

	it("refuses unsupported formats with 415, storing nothing", async () => {
		const before = await documentCount();
		const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
		expectProblem(
			await uploadDocument(parley.url, token, { bytes: png, fileName: "photo.png", type: "image/png" }),
			415,
			"unsupported_media_type",
		);
		expectProblem(
			await uploadDocument(parley.url, token, { bytes: "PK\u0003\u0004", fileName: "report.docx" }),
			415,
			"unsupported_media_type",
		);
		for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "application/pdf"]) {
			const raw = await client.post("/v1/documents", undefined, {
				token,
				rawBody: "title=x&text=y",
				headers: { "content-type": contentType },
			});
			expectProblem(raw, 415, "unsupported_media_type");
		}
		expect(await documentCount()).toBe(before);
	});

	it("refuses empty, binary-as-text and malformed documents with 422, storing nothing", async () => {
		const before = await documentCount();
		const binary = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0]);
		const cases: Array<[Parameters<typeof uploadDocument>[2], string]> = [
			[{ bytes: binary, fileName: "program.txt", type: "text/plain" }, "document_unreadable"],
			[{ bytes: new Uint8Array([0x68, 0xc3, 0x28, 0xff, 0xfe]), fileName: "bad.md" }, "document_unreadable"],
			[{ bytes: "%PDF-1.7\nnot a real PDF at all", fileName: "broken.pdf" }, "document_unreadable"],
			[{ bytes: (await documentFixture("report.pdf")).subarray(0, 200), fileName: "cut.pdf" }, "document_unreadable"],
			[{ bytes: '{"unterminated": [1, 2', fileName: "broken.json" }, "document_unreadable"],
			[{ bytes: 'a,b\n"open quote,2\n', fileName: "broken.csv" }, "document_unreadable"],
			[{ bytes: new Uint8Array(0), fileName: "empty.txt", type: "text/plain" }, "document_empty"],
			[{ bytes: "   \n\n\t  ", fileName: "blank.md" }, "document_empty"],
			[{ bytes: "<html><script>only()</script></html>", fileName: "blank.html" }, "document_empty"],
			[{ bytes: minimalPdf({ pages: [[]] }), fileName: "scan.pdf" }, "document_empty"],
		];
		for (const [file, code] of cases) expectProblem(await uploadDocument(parley.url, token, file), 422, code);
		expectProblem(
			await client.post("/v1/documents", { title: "Blank", text: "  \n " }, { token }),
			422,
			"document_empty",
		);
		expectProblem(
			await client.post(
				"/v1/documents",
				{ title: "Controls", text: "\u0001\u0002\u0003\u0004\u0005\u0006 x" },
				{ token },
			),
			422,
			"document_unreadable",
		);
		expect(await documentCount()).toBe(before);
	});

	it("refuses documents over DOCUMENT_MAX_BYTES with 413 and keeps serving the connection", async () => {
		const before = await documentCount();
		const tooBig = "x".repeat(maximumBytes + 1);
		expectProblem(
			await uploadDocument(parley.url, token, { bytes: tooBig, fileName: "big.txt", type: "text/plain" }),
			413,
			"payload_too_large",
		);
		expectProblem(
			await uploadDocument(parley.url, token, { bytes: "y".repeat(8_000_000), fileName: "huge.txt" }),
			413,
			"payload_too_large",
		);
		expectProblem(
			await client.post("/v1/documents", { title: "Big", text: tooBig }, { token }),
			413,
			"payload_too_large",
		);
		expect((await client.get("/v1/collections", { token })).status).toBe(200);
		expect(await documentCount()).toBe(before);
	});

	it("validates both body forms with 400", async () => {
		const file = { bytes: "hello", fileName: "a.txt" };
		expectProblem(
			await client.post("/v1/documents", { title: "x", text: "y", extra: 1 }, { token }),
			400,
			"validation_failed",
		);
		expectProblem(await client.post("/v1/documents", { text: "no title" }, { token }), 400, "validation_failed");
		expectProblem(await uploadDocument(parley.url, token, undefined, { title: "no file" }), 400, "validation_failed");
		expectProblem(await uploadDocument(parley.url, token, file, { surprise: "x" }), 400, "validation_failed");
		expectProblem(await uploadDocument(parley.url, token, file, { metadata: "not json" }), 400, "validation_failed");
		expectProblem(await uploadDocument(parley.url, token, [file, file]), 400, "validation_failed");
		expectProblem(await uploadDocument(parley.url, token, file, { collection: "../etc" }), 400, "validation_failed");
		expectProblem(await search("", ""), 400, "validation_failed");
		expectProblem(await search("x", "&k=0"), 400, "validation_failed");
		expectProblem(await search("x", "&mode=psychic"), 400, "validation_failed");
	});

	it("requires authentication on every documents route", async () => {
		expectProblem(await client.get("/v1/documents"), 401, "authentication_required");
		expectProblem(await client.get("/v1/search?q=x"), 401, "authentication_required");
		expectProblem(await client.get("/v1/collections"), 401, "authentication_required");
		expectProblem(
			await uploadDocument(parley.url, undefined, { bytes: "x", fileName: "a.txt" }),
			401,
			"authentication_required",
		);
	});

	it("parses multipart on the upload route only: other routes still answer 415", async () => {
		const file = { bytes: "hello", fileName: "a.txt" };
		expectProblem(await uploadDocument(parley.url, token, file, {}, "/v1/collections"), 415, "unsupported_media_type");
		expectProblem(await uploadDocument(parley.url, token, file, {}, "/v1/chat"), 415, "unsupported_media_type");
	});

	it("documents the upload with both media types and examples in OpenAPI", async () => {
		const document = await client.get<{
			paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
		}>("/openapi.json");
		const content = document.body.paths["/v1/documents"]?.post?.requestBody?.content ?? {};
		expect(Object.keys(content).sort()).toEqual(["application/json", "multipart/form-data"]);
		expect(JSON.stringify(content["application/json"])).toContain("Return policy");
		expect(JSON.stringify(content["multipart/form-data"])).toContain('"format":"binary"');
	});
});
