import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../support/fake-anthropic.js";
import { type FakeUpstream, startFakeUpstream } from "../support/fake-upstream.js";
import { type ApiClient, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

// Real: Parley with no provider key of its own, a fake Anthropic Messages API (through the AI SDK)
// and a fake OpenAI-compatible server, both over HTTP and recording the credentials they receive.

const anthropicKey = "sk-ant-user-5555555555555555555555";
const compatibleKey = "local-user-key-6666666666";

describe("providers served only with users' own keys", () => {
	let anthropic: FakeAnthropic;
	let compatible: FakeUpstream;
	let parley: RunningParley;
	let client: ApiClient;
	let owner: string;
	let stranger: string;

	beforeAll(async () => {
		anthropic = await startFakeAnthropic();
		compatible = await startFakeUpstream();
		parley = await startParley({
			ANTHROPIC_BASE_URL: anthropic.url,
			MEMORY_EXTRACTION: "rules",
			LLM_MAX_RETRIES: "0",
			LLM_BREAKER_THRESHOLD: "1",
		});
		client = apiClient(parley.url);
		owner = (await signUp(client, "ivy@example.com")).accessToken;
		stranger = (await signUp(client, "jack@example.com")).accessToken;
	});
	afterAll(async () => {
		await parley.close();
		await anthropic.close();
		await compatible.close();
	});

	it("calls Anthropic with the owner's key", async () => {
		await client.put("/v1/users/me/provider-keys/anthropic", { api_key: anthropicKey }, { token: owner });
		const chat = await client.post<{ response: string }>(
			"/v1/chat",
			{ prompt: "Capital of France?", model: "anthropic/claude-haiku-4-5" },
			{ token: owner },
		);
		expect(chat.status, chat.text).toBe(200);
		expect(anthropic.requests.at(-1)?.headers["x-api-key"]).toBe(anthropicKey);
		const refused = await client.post(
			"/v1/chat",
			{ prompt: "hi", model: "anthropic/claude-haiku-4-5" },
			{ token: stranger },
		);
		expect(refused.status).toBe(400);
		expect(refused.body.code).toBe("unknown_model");
		expect(anthropic.requests).toHaveLength(1);
	});

	it("calls the owner's own OpenAI-compatible server at the base URL they gave", async () => {
		const put = await client.put(
			"/v1/users/me/provider-keys/openai-compatible",
			{ api_key: compatibleKey, base_url: `${compatible.url}/` },
			{ token: owner },
		);
		expect(put.status, put.text).toBe(200);
		expect(put.body.base_url).toBe(compatible.url);
		const completion = await client.post(
			"/v1/chat/completions",
			{ model: "openai-compatible/llama3.2", messages: [{ role: "user", content: "hi" }] },
			{ token: owner },
		);
		expect(completion.status, completion.text).toBe(200);
		expect(compatible.requests.at(-1)?.headers.authorization).toBe(`Bearer ${compatibleKey}`);
		expect(compatible.requests.at(-1)?.body).toMatchObject({ model: "llama3.2" });
	});

	it("keeps a circuit per user's own server: one being down does not pause another's", async () => {
		const broken = await startFakeUpstream();
		try {
			await client.put(
				"/v1/users/me/provider-keys/openai-compatible",
				{ api_key: compatibleKey, base_url: broken.url },
				{ token: stranger },
			);
			broken.rule(() => ({ type: "error", status: 500 }));
			const body = { model: "openai-compatible/llama3.2", messages: [{ role: "user", content: "hi" }] };
			expect((await client.post("/v1/chat/completions", body, { token: stranger })).status).toBe(502);
			const paused = await client.post("/v1/chat/completions", body, { token: stranger });
			expect(paused.body.code).toBe("provider_unavailable");
			const healthy = await client.post("/v1/chat/completions", body, { token: owner });
			expect(healthy.status, healthy.text).toBe(200);
		} finally {
			await client.delete("/v1/users/me/provider-keys/openai-compatible", { token: stranger });
			await broken.close();
		}
	});

	it("lets users pick such a model as their default only when they hold a key for it", async () => {
		const mine = await client.patch("/v1/users/me", { default_model: "anthropic/claude-haiku-4-5" }, { token: owner });
		expect(mine.status, mine.text).toBe(200);
		const theirs = await client.patch(
			"/v1/users/me",
			{ default_model: "anthropic/claude-haiku-4-5" },
			{ token: stranger },
		);
		expect(theirs.status).toBe(400);
		expect(theirs.body.code).toBe("unknown_model");
	});

	it("does not offer such models to everyone in GET /v1/models", async () => {
		const models = await client.get<{ data: Array<{ id: string }> }>("/v1/models", { token: owner });
		expect(models.body.data.map((model) => model.id)).toEqual(["mock/parley-mock-1"]);
	});
});
