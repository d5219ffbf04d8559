import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, type ApiResponse, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

function expectProblem(response: ApiResponse, status: number, code?: string) {
	expect(response.status).toBe(status);
	expect(response.headers.get("content-type")).toContain("application/problem+json");
	if (code !== undefined) expect(response.body.code).toBe(code);
}

/** Sends bytes no fetch implementation would, and returns the raw response text. */
function rawRequest(port: number, request: string): Promise<string> {
	return new Promise((resolve, reject) => {
		const socket = connect(port, "127.0.0.1");
		let response = "";
		socket.setEncoding("utf8");
		socket.on("data", (chunk) => {
			response += chunk;
		});
		socket.on("end", () => resolve(response));
		socket.on("error", reject);
		socket.setTimeout(5000, () => {
			socket.destroy();
			resolve(response);
		});
		socket.write(request);
	});
}

// Real: Parley over HTTP on SQLite with the mock model; hostile input from the client side.
describe("bad input and abuse", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let token: string;
	const historyCount = async () =>
		(await client.get<{ data: unknown[] }>("/v1/history?limit=100", { token })).body.data.length;

	beforeAll(async () => {
		parley = await startParley({ MEMORY_EXTRACTION: "off", DEMO_KNOWLEDGE: "false" });
		client = apiClient(parley.url);
		token = (await signUp(client, "abuse@example.com")).accessToken;
	});
	afterAll(async () => parley.close());

	it.each([
		["negative max_tokens", { max_tokens: -5 }],
		["huge max_tokens", { max_tokens: 10 ** 12 }],
		["fractional max_tokens", { max_tokens: 1.5 }],
		["temperature above 2", { temperature: 2.5 }],
		["negative temperature", { temperature: -0.1 }],
		["temperature as text", { temperature: "hot" }],
	])("/v1/chat with %s → 400 validation_failed, nothing stored", async (_name, extra) => {
		const before = await historyCount();
		expectProblem(await client.post("/v1/chat", { prompt: "hi", ...extra }, { token }), 400, "validation_failed");
		expect(await historyCount()).toBe(before);
	});

	it.each([
		["negative max_tokens", { max_tokens: -1 }],
		["temperature out of range", { temperature: 9 }],
		["top_p out of range", { top_p: 3 }],
		["no messages", { messages: [] }],
	])("/v1/chat/completions with %s → 400, nothing stored", async (_name, extra) => {
		const before = await historyCount();
		const response = await client.post(
			"/v1/chat/completions",
			{ model: "mock/parley-mock-1", messages: [{ role: "user", content: "hi" }], ...extra },
			{ token },
		);
		expectProblem(response, 400);
		expect(await historyCount()).toBe(before);
	});

	it("a 10k-message history is answered or refused with a 4xx, never a 5xx", async () => {
		const messages = Array.from({ length: 10_000 }, (_, index) => ({
			role: index % 2 === 0 ? "user" : "assistant",
			content: `m${index}`,
		}));
		messages.push({ role: "user", content: "and now?" });
		const response = await client.post("/v1/chat/completions", { model: "mock/parley-mock-1", messages }, { token });
		expect(response.status).toBeGreaterThanOrEqual(400);
		expect(response.status).toBeLessThan(500);
		expect(response.headers.get("content-type")).toContain("application/problem+json");
	});

	it("a 2 MB prompt → 413 payload_too_large, nothing stored", async () => {
		const before = await historyCount();
		expectProblem(
			await client.post("/v1/chat", { prompt: "x".repeat(2 * 1024 * 1024) }, { token }),
			413,
			"payload_too_large",
		);
		expect(await historyCount()).toBe(before);
	});

	it.each([
		["a line break", "mock/evil\r\nset-cookie: session=stolen"],
		["a control character", "mock/evil\u0000model"],
		["spaces", "mock/two words"],
	])("a model id with %s → 400 unknown_model, not reflected in any header", async (_name, model) => {
		const before = await historyCount();
		const response = await client.post("/v1/chat", { prompt: "hi", model }, { token });
		expectProblem(response, 400, "unknown_model");
		expect(response.headers.get("set-cookie")).toBeNull();
		const completions = await client.post(
			"/v1/chat/completions",
			{ model, messages: [{ role: "user", content: "hi" }] },
			{ token },
		);
		expectProblem(completions, 400, "unknown_model");
		expect(await historyCount()).toBe(before);
	});

	it("a default model with a line break cannot be saved in the profile", async () => {
		expectProblem(
			await client.patch("/v1/users/me", { default_model: "mock/a\r\nx-injected: 1" }, { token }),
			400,
			"validation_failed",
		);
	});

	it("a request with a line break inside a header value is refused by the HTTP parser as a 400 problem", async () => {
		const raw = await rawRequest(
			Number(new URL(parley.url).port),
			"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: a\rb\r\nConnection: close\r\n\r\n",
		);
		expect(raw).toMatch(/^HTTP\/1\.1 400/);
		expect(raw).toContain("content-type: application/problem+json");
		expect(raw).toContain('"code":"malformed_request"');
		expect(raw).not.toMatch(/^HTTP\/1\.1 5/);
	});

	it("header values sent back are never the client's raw bytes: a hostile X-Request-Id is replaced", async () => {
		const response = await fetch(`${parley.url}/v1/health`, {
			headers: { "x-request-id": "<script>alert(1)</script>" },
		});
		expect(response.headers.get("x-request-id")).not.toContain("<");
	});
});
