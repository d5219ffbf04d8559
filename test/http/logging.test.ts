import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

// Real: Parley's pino logger writing JSON lines, captured from its destination stream.
describe("logs", () => {
	let parley: RunningParley;
	const secrets: string[] = [];
	beforeAll(async () => {
		parley = await startParley({ API_KEYS: "static-key-should-never-be-logged" });
		secrets.push("static-key-should-never-be-logged");
		const client = apiClient(parley.url);
		const password = "hunter2-very-secret-password";
		secrets.push(password);
		await client.post("/v1/auth/register", { email: "logged@example.com", password });
		const login = await client.post<{ access_token: string; refresh_token: string }>("/v1/auth/login", {
			email: "logged@example.com",
			password,
		});
		secrets.push(login.body.access_token, login.body.refresh_token);
		await client.post("/v1/auth/login", { email: "logged@example.com", password: "wrong-password-also-secret" });
		secrets.push("wrong-password-also-secret");
		const key = await client.post<{ key: string }>("/v1/api-keys", {}, { token: login.body.access_token });
		secrets.push(key.body.key);
		await client.post("/v1/chat", { prompt: "hello" }, { apiKey: key.body.key });
		await client.post("/v1/chat", { prompt: "hello" }, { apiKey: "static-key-should-never-be-logged" });
		await client.post("/v1/auth/refresh", { refresh_token: login.body.refresh_token });
		await client.get("/v1/users/me", {
			token: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
			headers: { cookie: "session=abc" },
		});
	});
	afterAll(() => parley.close());

	it("write one JSON line per request with request id, user id, route, status and latency", () => {
		const completed = parley.logLines
			.map((line) => JSON.parse(line))
			.filter((entry) => entry.msg === "request completed");
		expect(completed.length).toBeGreaterThanOrEqual(8);
		const chat = completed.find((entry) => entry.route === "/v1/chat" && entry.status === 200);
		expect(chat).toMatchObject({
			level: "info",
			request_id: expect.any(String),
			user_id: expect.any(String),
			method: "POST",
			latency_ms: expect.any(Number),
		});
	});

	it("never contain a password, token or key", () => {
		const everything = parley.logLines.join("\n");
		for (const secret of secrets) expect(everything).not.toContain(secret);
	});
});

describe("log redaction", () => {
	it("censors secret fields that reach a log call", async () => {
		const { Writable } = await import("node:stream");
		const { createLogger } = await import("../../src/observability/logger.js");
		const lines: string[] = [];
		const logger = createLogger({
			level: "info",
			destination: new Writable({
				write(chunk, _encoding, callback) {
					lines.push(String(chunk));
					callback();
				},
			}),
		});
		logger.info(
			{ password: "p4ss", token: "t0k", headers: { authorization: "Bearer abc", "x-api-key": "prl_k" } },
			"x",
		);
		logger.error({ err: { headers: { authorization: "Bearer def" } } }, "y");
		const output = lines.join("");
		for (const secret of ["p4ss", "t0k", "Bearer abc", "prl_k", "Bearer def"]) expect(output).not.toContain(secret);
		expect(output).toContain("[redacted]");
	});
});
