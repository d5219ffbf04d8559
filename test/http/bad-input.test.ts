import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

const problemType = "application/problem+json";

// Real: Parley + SQLite over HTTP. Every bad request must get a clear 4xx problem document.
describe("bad input gets a clear 4xx problem document", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let token: string;
	beforeAll(async () => {
		parley = await startParley({ BODY_LIMIT_BYTES: "65536" });
		client = apiClient(parley.url);
		token = (await signUp(client, "input@example.com")).accessToken;
	});
	afterAll(() => parley.close());

	const expectProblem = (
		response: { status: number; headers: Headers; body: Record<string, unknown> },
		status: number,
		code: string,
	) => {
		expect(response.status).toBe(status);
		expect(response.headers.get("content-type")).toContain(problemType);
		expect(response.body).toMatchObject({
			status,
			code,
			title: expect.any(String),
			type: expect.stringContaining(code.replaceAll("_", "-")),
		});
		expect(response.body.request_id).toBe(response.headers.get("x-request-id"));
	};

	it("malformed JSON → 400 invalid_json", async () => {
		const response = await client.post("/v1/chat", undefined, {
			token,
			rawBody: '{"prompt": "unterminated',
			headers: { "content-type": "application/json" },
		});
		expectProblem(response, 400, "invalid_json");
	});

	it("empty JSON body → 400", async () => {
		const response = await client.post("/v1/chat", undefined, {
			token,
			headers: { "content-type": "application/json" },
		});
		expect(response.status).toBe(400);
		expect(response.headers.get("content-type")).toContain(problemType);
	});

	it("unknown fields are rejected and named", async () => {
		const response = await client.post("/v1/chat", { prompt: "hi", promt: "typo" }, { token });
		expectProblem(response, 400, "validation_failed");
		expect(JSON.stringify(response.body.errors)).toContain("promt");
	});

	it("wrong types and out-of-range values name each field", async () => {
		const response = await client.post("/v1/chat", { prompt: 42, temperature: 7, max_tokens: -5 }, { token });
		expectProblem(response, 400, "validation_failed");
		const paths = (response.body.errors as Array<{ path: string }>).map((issue) => issue.path);
		expect(paths).toEqual(expect.arrayContaining(["prompt", "temperature", "max_tokens"]));
	});

	it("an empty prompt is refused", async () => {
		expectProblem(await client.post("/v1/chat", { prompt: "" }, { token }), 400, "validation_failed");
	});

	it("a body over the limit → 413", async () => {
		const response = await client.post("/v1/chat", { prompt: "x".repeat(70_000) }, { token });
		expectProblem(response, 413, "payload_too_large");
	});

	it("a non-JSON content type → 415", async () => {
		const response = await client.post("/v1/chat", undefined, {
			token,
			rawBody: "prompt=hi",
			headers: { "content-type": "application/x-www-form-urlencoded" },
		});
		expectProblem(response, 415, "unsupported_media_type");
	});

	it("unknown routes → 404 problem, even without credentials", async () => {
		expectProblem(await client.get("/v1/nothing-here"), 404, "route_not_found");
	});

	it("bad pagination input → 400", async () => {
		expectProblem(await client.get("/v1/conversations?limit=0", { token }), 400, "validation_failed");
		expectProblem(await client.get("/v1/conversations?cursor=%%%garbage", { token }), 400, "invalid_cursor");
		expectProblem(await client.get("/v1/history?cursor=eyJ0IjoieCJ9", { token }), 400, "invalid_cursor");
	});

	it("an unknown model → 400 unknown_model, and nothing is stored", async () => {
		const response = await client.post("/v1/chat", { prompt: "hi", model: "openai/gpt-4o" }, { token });
		expectProblem(response, 400, "unknown_model");
		const conversations = await client.get<{ data: unknown[] }>("/v1/conversations", { token });
		expect(conversations.body.data).toHaveLength(0);
	});

	it("a prompt larger than the model's context window → 400 context_length_exceeded", async () => {
		const long = "word ".repeat(9000);
		expectProblem(await client.post("/v1/chat", { prompt: long }, { token }), 400, "context_length_exceeded");
	});

	it("echoes a well-formed X-Request-Id and replaces a malformed one", async () => {
		const given = await client.get("/v1/health", { headers: { "x-request-id": "trace-abc.123" } });
		expect(given.headers.get("x-request-id")).toBe("trace-abc.123");
		const malformed = await client.get("/v1/health", { headers: { "x-request-id": "bad id\twith spaces" } });
		expect(malformed.headers.get("x-request-id")).not.toContain(" ");
		expect(malformed.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
	});

	it("userId naming someone else → 403", async () => {
		const response = await client.post("/v1/chat", { prompt: "hi", userId: "somebody-else" }, { token });
		expectProblem(response, 403, "forbidden");
	});

	it("OpenAI-compatible errors also carry OpenAI's error object", async () => {
		const response = await client.post("/v1/chat/completions", { messages: [] }, { token });
		expectProblem(response, 400, "validation_failed");
		expect(response.body.error).toMatchObject({ type: "invalid_request_error", code: "validation_failed" });
	});
});
