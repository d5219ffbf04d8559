import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeUpstream, fixtures, startFakeUpstream } from "../support/fake-upstream.js";
import { type ApiClient, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

// Real: the official openai SDK as the client of Parley's /v1; Parley + SQLite over HTTP; a local
// fake OpenAI-compatible upstream replaying recorded-style transcripts for the pass-through.
describe("OpenAI-compatible API through the official openai SDK", () => {
	let upstream: FakeUpstream;
	let parley: RunningParley;
	let client: ApiClient;
	let sdk: OpenAI;
	let token: string;

	beforeAll(async () => {
		upstream = await startFakeUpstream();
		parley = await startParley({
			OPENAI_COMPATIBLE_BASE_URL: upstream.url,
			OPENAI_COMPATIBLE_API_KEY: "upstream-secret",
		});
		client = apiClient(parley.url);
		token = (await signUp(client, "sdk@example.com")).accessToken;
		const key = await client.post<{ key: string }>("/v1/api-keys", { name: "sdk" }, { token });
		sdk = new OpenAI({ baseURL: `${parley.url}/v1`, apiKey: key.body.key, maxRetries: 0 });
	});
	beforeEach(() => upstream.reset());
	afterAll(async () => {
		await parley.close();
		await upstream.close();
	});

	it("passes a non-streaming completion through with the upstream's own bytes", async () => {
		const { data: completion, response } = await sdk.chat.completions
			.create({ model: "openai-compatible/gpt-4o-mini", messages: [{ role: "user", content: "Capital of France?" }] })
			.withResponse();
		expect(completion.choices[0]?.message.content).toBe(fixtures.text);
		expect(completion.usage).toMatchObject({ prompt_tokens: 24, completion_tokens: 14, total_tokens: 38 });
		expect(completion.id).toBe(fixtures.completion.id);
		expect(response.headers.get("x-parley-model")).toBe("openai-compatible/gpt-4o-mini");
		expect(response.headers.get("x-parley-attempts")).toBe("1");

		const sent = upstream.requests.at(-1);
		expect(sent?.body).toMatchObject({
			model: "gpt-4o-mini",
			messages: [{ role: "user", content: "Capital of France?" }],
		});
		expect(sent?.headers.authorization).toBe("Bearer upstream-secret");
	});

	it("forwards fields Parley does not read (tools, response_format) untouched", async () => {
		await sdk.chat.completions.create({
			model: "openai-compatible/gpt-4o-mini",
			messages: [{ role: "user", content: "Weather?" }],
			tools: [{ type: "function", function: { name: "weather", parameters: { type: "object", properties: {} } } }],
			response_format: { type: "json_object" },
			logit_bias: { "50256": -100 },
		});
		expect(upstream.requests.at(-1)?.body).toMatchObject({
			tools: [{ type: "function", function: { name: "weather" } }],
			response_format: { type: "json_object" },
			logit_bias: { "50256": -100 },
		});
	});

	it("streams the upstream's events through, with usage in the final chunk when asked", async () => {
		const stream = await sdk.chat.completions.create({
			model: "openai-compatible/gpt-4o-mini",
			messages: [{ role: "user", content: "Capital of France?" }],
			stream: true,
			stream_options: { include_usage: true },
		});
		let text = "";
		let usage: OpenAI.CompletionUsage | null | undefined;
		for await (const chunk of stream) {
			text += chunk.choices[0]?.delta.content ?? "";
			if (chunk.usage) usage = chunk.usage;
		}
		expect(text).toBe(fixtures.text);
		expect(usage).toMatchObject({ prompt_tokens: 24, completion_tokens: 14, total_tokens: 38 });
	});

	it("asks the upstream for usage anyway, but does not hand clients a chunk they did not ask for", async () => {
		const stream = await sdk.chat.completions.create({
			model: "openai-compatible/gpt-4o-mini",
			messages: [{ role: "user", content: "Capital of France?" }],
			stream: true,
		});
		const chunks: OpenAI.ChatCompletionChunk[] = [];
		for await (const chunk of stream) chunks.push(chunk);
		expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true);
		expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe(fixtures.text);
		expect(upstream.requests.at(-1)?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });

		// …and still records the call with the upstream's usage.
		const history = await client.get<{ data: Array<{ endpoint: string; usage: { total_tokens: number } }> }>(
			"/v1/history?limit=1",
			{ token },
		);
		expect(history.body.data[0]).toMatchObject({ endpoint: "completions", usage: { total_tokens: 38 } });
	});

	it("answers with the mock model when asked, streaming and not", async () => {
		const completion = await sdk.chat.completions.create({
			model: "mock/parley-mock-1",
			messages: [
				{ role: "system", content: "Be brief." },
				{ role: "user", content: "Hello mock" },
			],
		});
		expect(completion.object).toBe("chat.completion");
		expect(completion.model).toBe("mock/parley-mock-1");
		expect(completion.choices[0]?.message.content).toContain("Hello mock");
		expect(completion.usage?.total_tokens).toBeGreaterThan(0);

		const stream = await sdk.chat.completions.create({
			model: "mock/parley-mock-1",
			messages: [{ role: "user", content: "Hello mock" }],
			stream: true,
			stream_options: { include_usage: true },
		});
		let text = "";
		let finish: string | null | undefined;
		let usage: OpenAI.CompletionUsage | null | undefined;
		for await (const chunk of stream) {
			text += chunk.choices[0]?.delta.content ?? "";
			finish = chunk.choices[0]?.finish_reason ?? finish;
			if (chunk.usage) usage = chunk.usage;
		}
		expect(text).toBe(completion.choices[0]?.message.content);
		expect(finish).toBe("stop");
		expect(usage?.completion_tokens).toBe(completion.usage?.completion_tokens);
	});

	it("records every call with its usage", async () => {
		const before = await client.get<{ data: unknown[] }>("/v1/history?limit=100", { token });
		await sdk.chat.completions.create({
			model: "openai-compatible/gpt-4o-mini",
			messages: [{ role: "user", content: "One" }],
		});
		const after = await client.get<{
			data: Array<{ prompt: string; response: string; model: string; usage: { prompt_tokens: number } }>;
		}>("/v1/history?limit=100", { token });
		expect(after.body.data.length).toBe(before.body.data.length + 1);
		expect(after.body.data[0]).toMatchObject({
			prompt: "One",
			response: fixtures.text,
			model: "openai-compatible/gpt-4o-mini",
			usage: { prompt_tokens: 24 },
		});
	});

	it("lists models in OpenAI's format", async () => {
		const ids: string[] = [];
		for await (const model of sdk.models.list()) ids.push(model.id);
		expect(ids).toEqual(expect.arrayContaining(["openai-compatible/llama3.2", "mock/parley-mock-1"]));
	});

	it("turns upstream and auth failures into errors the SDK understands", async () => {
		upstream.script({ type: "error", status: 400 });
		const rejected = await sdk.chat.completions
			.create({ model: "openai-compatible/gpt-4o-mini", messages: [{ role: "user", content: "bad" }] })
			.catch((error: unknown) => error);
		expect(rejected).toBeInstanceOf(OpenAI.BadRequestError);
		expect((rejected as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("provider_rejected");
		expect(upstream.requests).toHaveLength(1);

		const anonymous = new OpenAI({ baseURL: `${parley.url}/v1`, apiKey: "prl_not-a-real-key", maxRetries: 0 });
		await expect(anonymous.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

		const unknown = await sdk.chat.completions
			.create({ model: "anthropic/claude-x", messages: [{ role: "user", content: "x" }] })
			.catch((error: unknown) => error);
		expect(unknown).toBeInstanceOf(OpenAI.BadRequestError);
	});

	it("accepts an access token as the SDK's API key", async () => {
		const withToken = new OpenAI({ baseURL: `${parley.url}/v1`, apiKey: token, maxRetries: 0 });
		const completion = await withToken.chat.completions.create({
			model: "mock/parley-mock-1",
			messages: [{ role: "user", content: "token auth" }],
		});
		expect(completion.choices[0]?.message.content).toContain("token auth");
	});
});
