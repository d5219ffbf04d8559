import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCatalogue } from "../../src/errors.js";
import { type ApiClient, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

// Real: Parley + SQLite over HTTP; prom-client registry; generated OpenAPI document.
describe("operations endpoints", () => {
	let parley: RunningParley;
	let client: ApiClient;
	beforeAll(async () => {
		parley = await startParley();
		client = apiClient(parley.url);
	});
	afterAll(() => parley.close());

	it("health reports status, version, timestamp and uptime", async () => {
		const health = await client.get("/v1/health");
		expect(health.status).toBe(200);
		expect(health.body).toMatchObject({ status: "ok", version: expect.any(String), uptime: expect.any(Number) });
	});

	it("ready checks storage and the provider configuration", async () => {
		const ready = await client.get<{ status: string; checks: Record<string, { status: string }> }>("/v1/ready");
		expect(ready.status).toBe(200);
		expect(ready.body.status).toBe("ready");
		expect(ready.body.checks.storage?.status).toBe("ok");
		expect(ready.body.checks["provider:mock"]?.status).toBe("ok");
	});

	it("ready answers 503 when storage is gone", async () => {
		const broken = await startParley();
		await broken.runtime.dependencies.store.close();
		const ready = await apiClient(broken.url).get("/v1/ready");
		expect(ready.status).toBe(503);
		expect(ready.body.status).toBe("not_ready");
		await broken.app.close();
	});

	it("metrics expose HTTP durations by route and status, LLM calls and process metrics", async () => {
		const { accessToken } = await signUp(client, "metrics@example.com");
		await client.post("/v1/chat", { prompt: "count me" }, { token: accessToken });
		const metrics = await client.get("/metrics");
		expect(metrics.status).toBe(200);
		expect(metrics.headers.get("content-type")).toContain("text/plain");
		expect(metrics.text).toMatch(
			/parley_http_request_duration_seconds_count\{method="POST",route="\/v1\/chat",status="200"\} 1/,
		);
		expect(metrics.text).toMatch(
			/parley_llm_request_duration_seconds_count\{provider="mock",model="parley-mock-1",outcome="success"\} 1/,
		);
		expect(metrics.text).toMatch(
			/parley_llm_tokens_total\{provider="mock",model="parley-mock-1",type="completion"\} \d+/,
		);
		expect(metrics.text).toContain("parley_process_resident_memory_bytes");
	});

	it("serves Swagger UI at /docs, a reference page at /redoc, and the OpenAPI document at /openapi.json and /schema", async () => {
		const docs = await fetch(`${parley.url}/docs`, { redirect: "follow" });
		expect(docs.status).toBe(200);
		expect(await docs.text()).toContain("swagger");
		const reference = await fetch(`${parley.url}/redoc`);
		expect(reference.status).toBe(200);
		const html = await reference.text();
		expect(html).not.toMatch(/https?:\/\/cdn/);
		const document = await client.get<{
			openapi: string;
			paths: Record<string, unknown>;
			info: { description: string };
		}>("/openapi.json");
		expect(document.status).toBe(200);
		expect(document.body.openapi).toMatch(/^3\./);
		const schema = await client.get("/schema");
		expect(schema.body).toEqual(document.body);

		const documented = Object.keys(document.body.paths);
		for (const path of [
			"/v1/auth/register",
			"/v1/auth/login",
			"/v1/auth/refresh",
			"/v1/auth/logout",
			"/v1/users/me",
			"/v1/user/profile",
			"/v1/api-keys",
			"/v1/api-keys/{id}",
			"/v1/chat",
			"/v1/generate",
			"/v1/conversations",
			"/v1/conversations/{id}",
			"/v1/history",
			"/v1/memories",
			"/v1/memories/{id}",
			"/v1/memories/settings",
			"/v1/chat/completions",
			"/v1/prompts",
			"/v1/prompts/similar",
			"/v1/history/search",
			"/v1/models",
			"/v1/health",
			"/v1/ready",
			"/v1/documents",
			"/v1/documents/{id}",
			"/v1/search",
			"/v1/collections",
			"/v1/questions",
			"/v1/questions/{id}",
			"/v1/questions/session/{session_id}",
			"/v1/admin/questions/dead-letter",
			"/v1/admin/questions/{id}/retry",
			"/v1/events",
		]) {
			expect(documented).toContain(path);
		}
		for (const code of Object.keys(errorCatalogue)) expect(document.body.info.description).toContain(`\`${code}\``);
		const chatOperation = (
			document.body.paths["/v1/chat"] as { post: { requestBody: { content: Record<string, { examples?: object }> } } }
		).post;
		expect(Object.keys(chatOperation.requestBody.content["application/json"]?.examples ?? {}).length).toBeGreaterThan(
			0,
		);
	});
});

describe("CORS", () => {
	it("answers preflight requests and tags responses for allowed origins only", async () => {
		const parley = await startParley({ CORS_ORIGINS: "https://app.example.com" });
		try {
			const preflight = await fetch(`${parley.url}/v1/chat`, {
				method: "OPTIONS",
				headers: {
					origin: "https://app.example.com",
					"access-control-request-method": "POST",
					"access-control-request-headers": "authorization,content-type",
				},
			});
			expect(preflight.status).toBe(204);
			expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
			const allowed = await fetch(`${parley.url}/v1/health`, { headers: { origin: "https://app.example.com" } });
			expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
			expect(allowed.headers.get("access-control-expose-headers")).toContain("x-request-id");
			const other = await fetch(`${parley.url}/v1/health`, { headers: { origin: "https://evil.example" } });
			expect(other.headers.get("access-control-allow-origin")).toBeNull();
		} finally {
			await parley.close();
		}
	});
});
