import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config.js";
import { type FakeUpstream, fixtures, startFakeUpstream } from "../support/fake-upstream.js";
import { type ApiClient, apiClient, readEvents, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

// Real: Parley + SQLite over HTTP, two local fake OpenAI-compatible upstreams: the default
// provider ("openai-compatible", scripted to fail) and a backup ("openai") that answers.
describe("fallback chains over HTTP", () => {
	let flaky: FakeUpstream;
	let backup: FakeUpstream;
	let parley: RunningParley;
	let client: ApiClient;
	let token: string;

	beforeAll(async () => {
		flaky = await startFakeUpstream();
		backup = await startFakeUpstream();
		parley = await startParley({
			DEMO_KNOWLEDGE: "false",
			MEMORY_EXTRACTION: "rules",
			OPENAI_COMPATIBLE_BASE_URL: flaky.url,
			OPENAI_API_KEY: "sk-backup",
			OPENAI_BASE_URL: backup.url,
			LLM_PROVIDER: "openai-compatible",
			LLM_FALLBACKS: "openai/backup-model",
			LLM_MAX_RETRIES: "1",
			LLM_RETRY_BASE_DELAY_MS: "5",
			LLM_BREAKER_THRESHOLD: "1000",
			LLM_STREAM_IDLE_TIMEOUT_MS: "400",
		});
		client = apiClient(parley.url);
		token = (await signUp(client, "fallbacks@example.com")).accessToken;
	});
	afterEach(() => {
		flaky.reset();
		backup.reset();
	});
	afterAll(async () => {
		await parley.close();
		await Promise.all([flaky.close(), backup.close()]);
	});

	const modelsAsked = (upstream: FakeUpstream) =>
		upstream.requests.map((request) => (request.body as { model?: string }).model);

	async function historyOf(prompt: string) {
		const history = await client.get<{ data: Array<{ prompt: string; model: string; usage: unknown }> }>(
			"/v1/history?limit=100",
			{ token },
		);
		return history.body.data.filter((item) => item.prompt === prompt);
	}

	it("answers /v1/chat from LLM_FALLBACKS when the requested model fails, storing only the answer", async () => {
		flaky.rule(() => ({ type: "error", status: 500 }));
		const response = await client.post<{ model: string; response: string }>(
			"/v1/chat",
			{ prompt: "fall back, chat", model: "primary" },
			{ token },
		);
		expect(response.status).toBe(200);
		expect(response.body).toMatchObject({ model: "openai/backup-model", response: fixtures.text });
		expect(response.headers.get("x-parley-model")).toBe("openai/backup-model");
		expect(response.headers.get("x-parley-attempts")).toBe("3");
		expect(response.headers.get("x-parley-fallbacks")).toBe("1");
		expect(modelsAsked(flaky)).toEqual(["primary", "primary"]);
		expect(modelsAsked(backup)).toEqual(["backup-model"]);
		const stored = await historyOf("fall back, chat");
		expect(stored).toHaveLength(1);
		expect(stored[0]).toMatchObject({
			model: "openai/backup-model",
			usage: { total_tokens: fixtures.usage.totalTokens },
		});
	});

	it("uses a request's own models instead of LLM_FALLBACKS on /v1/generate", async () => {
		flaky.rule(() => ({ type: "error", status: 503 }));
		const response = await client.post<{ model: string }>(
			"/v1/generate",
			{ prompt: "fall back, generate", model: "first", models: ["openai/chosen-by-client"] },
			{ token },
		);
		expect(response.status).toBe(200);
		expect(response.body.model).toBe("openai/chosen-by-client");
		expect(response.headers.get("x-parley-model")).toBe("openai/chosen-by-client");
		expect(modelsAsked(backup)).toEqual(["chosen-by-client"]);
	});

	it("reports a healthy first model as answering after one attempt", async () => {
		const response = await client.post("/v1/chat", { prompt: "no trouble", model: "primary" }, { token });
		expect(response.status).toBe(200);
		expect(response.headers.get("x-parley-model")).toBe("openai-compatible/primary");
		expect(response.headers.get("x-parley-attempts")).toBe("1");
		expect(response.headers.get("x-parley-fallbacks")).toBe("0");
		expect(backup.requests).toHaveLength(0);
	});

	it("falls back on /v1/chat/completions, forwarding the body without `models`, recording the answering model", async () => {
		flaky.rule(() => ({ type: "error", status: 429, retryAfterSeconds: 0 }));
		const response = await client.post<{ model: string }>(
			"/v1/chat/completions",
			{
				models: ["openai-compatible/first", "openai/second"],
				messages: [{ role: "user", content: "fall back, completions" }],
				tools: [{ type: "function", function: { name: "noop", parameters: { type: "object" } } }],
			},
			{ token },
		);
		expect(response.status).toBe(200);
		expect(response.body.model).toBe("second");
		expect(response.headers.get("x-parley-model")).toBe("openai/second");
		expect(response.headers.get("x-parley-attempts")).toBe("3");
		const forwarded = backup.requests[0]?.body as Record<string, unknown>;
		expect(forwarded.model).toBe("second");
		expect(forwarded).not.toHaveProperty("models");
		expect(forwarded.tools).toHaveLength(1);
		const stored = await historyOf("fall back, completions");
		expect(stored.map((item) => item.model)).toEqual(["openai/second"]);
	});

	it("falls back on a pass-through stream cut before its first token, relaying only the answer that came", async () => {
		// Only the role chunk, then the connection goes: nothing of it may reach the client.
		flaky.rule(() => ({ type: "drop", afterEvents: 1 }));
		const response = await fetch(`${parley.url}/v1/chat/completions`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: JSON.stringify({
				model: "streamer",
				stream: true,
				stream_options: { include_usage: true },
				messages: [{ role: "user", content: "fall back, stream" }],
			}),
		});
		expect(response.status).toBe(200);
		expect(response.headers.get("x-parley-model")).toBe("openai/backup-model");
		expect(response.headers.get("x-parley-attempts")).toBe("3");
		const body = await response.text();
		expect(body).toBe(
			fixtures.streamTranscript.replaceAll('"model":"gpt-4o-mini-2024-07-18"', '"model":"backup-model"'),
		);
		expect(flaky.requests).toHaveLength(2);
		expect((await historyOf("fall back, stream")).map((item) => item.model)).toEqual(["openai/backup-model"]);
	});

	it("falls back on a chat event stream before its first token, naming the answering model", async () => {
		flaky.rule(() => ({ type: "error", status: 500 }));
		const response = await fetch(`${parley.url}/v1/chat`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: JSON.stringify({ prompt: "fall back, chat stream", stream: true }),
		});
		expect(response.status).toBe(200);
		expect(response.headers.get("x-parley-model")).toBe("openai/backup-model");
		expect(response.headers.get("x-parley-fallbacks")).toBe("1");
		const events = await readEvents(response);
		expect(events[0]).toMatchObject({ event: "message-start", data: { model: "openai/backup-model" } });
		expect(events.at(-1)).toMatchObject({ event: "message-end", data: { model: "openai/backup-model" } });
		expect((await historyOf("fall back, chat stream")).map((item) => item.model)).toEqual(["openai/backup-model"]);
	});

	it("never falls back once a stream's first token went out: it ends with an error event", async () => {
		flaky.script({ type: "drop", afterEvents: 3 });
		const response = await fetch(`${parley.url}/v1/chat`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: JSON.stringify({ prompt: "broken after a token", stream: true, model: "half" }),
		});
		const events = await readEvents(response);
		expect(events.filter((event) => event.event === "text-delta").length).toBeGreaterThan(0);
		expect(events.at(-1)).toMatchObject({ event: "error", data: { code: "provider_error" } });
		expect(flaky.requests).toHaveLength(1);
		expect(backup.requests).toHaveLength(0);
		expect(await historyOf("broken after a token")).toHaveLength(0);
	});

	it("gives up on a stream that goes silent: before its first token it falls back, after it ends with provider_timeout", async () => {
		flaky.script({ type: "stall", afterEvents: 1 }, { type: "stall", afterEvents: 1 });
		const silentBeforeAnswer = await fetch(`${parley.url}/v1/chat`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: JSON.stringify({ prompt: "silent before answering", stream: true, model: "quiet" }),
		});
		expect(silentBeforeAnswer.headers.get("x-parley-model")).toBe("openai/backup-model");
		expect((await readEvents(silentBeforeAnswer)).at(-1)?.event).toBe("message-end");

		flaky.reset();
		backup.reset();
		flaky.script({ type: "stall", afterEvents: 3 });
		const silentMidAnswer = await fetch(`${parley.url}/v1/chat`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: JSON.stringify({ prompt: "silent mid-answer", stream: true, model: "quiet" }),
		});
		const events = await readEvents(silentMidAnswer);
		expect(events.at(-1)).toMatchObject({ event: "error", data: { code: "provider_timeout" } });
		expect(backup.requests).toHaveLength(0);
		expect(await historyOf("silent mid-answer")).toHaveLength(0);
	});

	it("does not fall back when the provider rejects the request as invalid", async () => {
		flaky.script({ type: "error", status: 400 });
		const response = await client.post("/v1/chat", { prompt: "bad for everyone", model: "strict" }, { token });
		expect(response.status).toBe(400);
		expect(response.body.code).toBe("provider_rejected");
		expect(backup.requests).toHaveLength(0);
	});

	it("says in the metrics that it retried and fell back", async () => {
		flaky.rule(() => ({ type: "error", status: 502 }));
		await client.post("/v1/chat", { prompt: "count me", model: "counted" }, { token });
		const metrics = (await client.get("/metrics")).text;
		expect(metrics).toMatch(
			/parley_llm_fallbacks_total\{from="openai-compatible\/counted",to="openai\/backup-model"\} 1/,
		);
		expect(metrics).toMatch(/parley_llm_retries_total\{provider="openai-compatible",model="counted"\} 1/);
	});

	describe("validation of `models`", () => {
		const endpoints = [
			["/v1/chat", (models: unknown) => ({ prompt: "x", models })],
			["/v1/generate", (models: unknown) => ({ prompt: "x", models })],
			["/v1/chat/completions", (models: unknown) => ({ models, messages: [{ role: "user", content: "x" }] })],
		] as const;

		for (const [path, bodyWith] of endpoints) {
			it(`refuses malformed lists on ${path} with 400 validation_failed`, async () => {
				const malformed = [[], [42], "openai/a", [""], ["x".repeat(201)], Array.from({ length: 9 }, (_, i) => `m${i}`)];
				for (const models of malformed) {
					const response = await client.post(path, bodyWith(models), { token });
					expect(response.status, JSON.stringify(models)).toBe(400);
					expect(response.headers.get("content-type")).toContain("application/problem+json");
					expect(response.body.code).toBe("validation_failed");
				}
				expect(flaky.requests).toHaveLength(0);
			});

			it(`refuses an unknown model in the list on ${path} before calling any, with 400 unknown_model`, async () => {
				const response = await client.post(path, bodyWith(["openai/fine", "gemini/not-configured"]), { token });
				expect(response.status).toBe(400);
				expect(response.body.code).toBe("unknown_model");
				expect(flaky.requests).toHaveLength(0);
				expect(backup.requests).toHaveLength(0);
			});
		}
	});
});

describe("LLM_FALLBACKS at start-up", () => {
	it("refuses to start when a fallback names a provider that is not configured", async () => {
		const dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-fallbacks-"));
		try {
			await expect(
				startParley({ DATA_DIR: dataDirectory, DEMO_KNOWLEDGE: "false", LLM_FALLBACKS: "anthropic/claude-haiku-4-5" }),
			).rejects.toThrow(ConfigError);
		} finally {
			await rm(dataDirectory, { recursive: true, force: true });
		}
	});
});
