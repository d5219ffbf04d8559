import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../support/fake-upstream.js";
import { type ApiClient, type ApiResponse, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

interface Usage {
	prompt_tokens: number;
	completion_tokens: number;
	total_tokens: number;
	cost_usd?: number | null;
}
interface Totals {
	requests: number;
	prompt_tokens: number;
	completion_tokens: number;
	total_tokens: number;
	cost_usd: number;
	unpriced_requests: number;
	priced: boolean;
}
interface LimitStatus {
	limit: number | null;
	used: number;
	remaining: number | null;
}
interface WindowStatus {
	starts_at: string;
	resets_at: string;
	tokens: LimitStatus;
	usd: LimitStatus;
}
interface UsageBody {
	group_by: string;
	from: string;
	to: string;
	totals: Totals;
	buckets: Array<Totals & { key: string }>;
	budget: { day: WindowStatus; month: WindowStatus };
}
interface BudgetBody {
	user_id: string;
	overrides: Record<string, number | null>;
	effective: Record<string, number | null>;
	updated_at: string | null;
	budget: { day: WindowStatus; month: WindowStatus };
}

/** The mock model, priced for these tests: $2 per million input tokens, $8 per million output tokens. */
const mockPrices = { input: 2, output: 8 };
const costOf = (usage: Usage) =>
	Math.round(usage.prompt_tokens * mockPrices.input + usage.completion_tokens * mockPrices.output) / 1e6;
const pricedMock = JSON.stringify({ "mock/parley-mock-1": mockPrices });
const today = () => new Date().toISOString().slice(0, 10);

function expectStatus(response: ApiResponse<unknown>, status: number, code?: string) {
	expect(response.status, response.text).toBe(status);
	if (code) expect(response.body).toMatchObject({ code });
}

function sum(usages: Usage[]) {
	return {
		prompt_tokens: usages.reduce((total, usage) => total + usage.prompt_tokens, 0),
		completion_tokens: usages.reduce((total, usage) => total + usage.completion_tokens, 0),
		total_tokens: usages.reduce((total, usage) => total + usage.total_tokens, 0),
	};
}

// Real: Parley + SQLite over HTTP with the offline mock model, a fake OpenAI-compatible upstream
// for an unpriced model, four accounts (ADMIN_EMAILS makes one an admin).
describe("usage reports and budgets", () => {
	let upstream: FakeUpstream;
	let parley: RunningParley;
	let client: ApiClient;
	let alice: { accessToken: string; userId: string };
	let bob: { accessToken: string; userId: string };
	let admin: { accessToken: string; userId: string };
	const aliceUsages: Usage[] = [];

	const chat = (token: string, body: Record<string, unknown> = {}) =>
		client.post<{ usage: Usage; model: string }>("/v1/chat", { prompt: "Tell me about budgets.", ...body }, { token });
	const usageOf = (token: string, query = "") => client.get<UsageBody>(`/v1/usage${query}`, { token });
	const history = async (token: string) =>
		(await client.get<{ data: unknown[] }>("/v1/history?limit=100", { token })).body.data.length;

	beforeAll(async () => {
		upstream = await startFakeUpstream();
		parley = await startParley({
			ADMIN_EMAILS: "boss@example.com",
			DEMO_KNOWLEDGE: "false",
			MEMORY_EXTRACTION: "off",
			DEFAULT_MODEL: "mock/parley-mock-1",
			OPENAI_COMPATIBLE_BASE_URL: upstream.url,
			LLM_PRICES: pricedMock,
		});
		client = apiClient(parley.url);
		alice = await signUp(client, "alice@example.com");
		bob = await signUp(client, "bob@example.com");
		admin = await signUp(client, "boss@example.com");

		// Alice: two chat turns, a single-turn generation, and a completion from an unpriced upstream model.
		const first = await chat(alice.accessToken);
		expectStatus(first, 200);
		const second = await chat(alice.accessToken, { prompt: "And in more words, please, with details?" });
		expectStatus(second, 200);
		const generated = await client.post<{ usage: Usage }>(
			"/v1/generate",
			{ prompt: "Summarise usage accounting." },
			{ token: alice.accessToken },
		);
		expectStatus(generated, 200);
		aliceUsages.push(first.body.usage, second.body.usage, generated.body.usage);
		const completion = await client.post(
			"/v1/chat/completions",
			{ model: "openai-compatible/llama3.2", messages: [{ role: "user", content: "Hi" }] },
			{ token: alice.accessToken },
		);
		expectStatus(completion, 200);
		// Bob: one turn of his own.
		expectStatus(await chat(bob.accessToken), 200);
	});
	afterAll(async () => {
		await parley.close();
		await upstream.close();
	});

	it("puts each call's cost, at the answering model's price, in the chat, generate and history usage", async () => {
		for (const usage of aliceUsages) {
			expect(usage.prompt_tokens).toBeGreaterThan(0);
			expect(usage.cost_usd).toBeGreaterThan(0);
			expect(usage.cost_usd).toBeCloseTo(costOf(usage), 9);
		}
		const stored = await client.get<{ data: Array<{ endpoint: string; usage: Usage }> }>("/v1/history", {
			token: alice.accessToken,
		});
		// Newest first: the unpriced completion, then the generation, then the two chat turns.
		expect(stored.body.data.map((item) => item.usage.cost_usd)).toEqual([
			null,
			...aliceUsages.map((usage) => usage.cost_usd).reverse(),
		]);
	});

	it("reports the caller's calls by model, with exact token sums and costs, flagging the unpriced model", async () => {
		const response = await usageOf(alice.accessToken, "?group_by=model");
		expectStatus(response, 200);
		const { totals, buckets } = response.body;
		const mock = buckets.find((bucket) => bucket.key === "mock/parley-mock-1");
		expect(mock).toMatchObject({ requests: 3, ...sum(aliceUsages), unpriced_requests: 0, priced: true });
		expect(mock?.cost_usd).toBeCloseTo(
			aliceUsages.map(costOf).reduce((total, cost) => total + cost, 0),
			9,
		);
		// The fake upstream reports 24 + 14 tokens; nothing prices llama3.2, so it counts as 0 and is flagged.
		expect(buckets.find((bucket) => bucket.key === "openai-compatible/llama3.2")).toEqual({
			key: "openai-compatible/llama3.2",
			requests: 1,
			prompt_tokens: 24,
			completion_tokens: 14,
			total_tokens: 38,
			cost_usd: 0,
			unpriced_requests: 1,
			priced: false,
		});
		expect(buckets).toHaveLength(2);
		expect(totals).toMatchObject({ requests: 4, total_tokens: sum(aliceUsages).total_tokens + 38, priced: false });
		expect(totals.cost_usd).toBeCloseTo(mock?.cost_usd ?? -1, 9);
	});

	it("reports by UTC day by default, over the last 30 days, with the budget status", async () => {
		const response = await usageOf(alice.accessToken);
		expectStatus(response, 200);
		expect(response.body.group_by).toBe("day");
		expect(Date.parse(response.body.to) - Date.parse(response.body.from)).toBe(30 * 86_400_000);
		expect(response.body.buckets).toEqual([expect.objectContaining({ key: today(), requests: 4 })]);
		// No budget configured: no limits, but what was used today and this month.
		const { day, month } = response.body.budget;
		expect(day.tokens).toEqual({ limit: null, used: response.body.totals.total_tokens, remaining: null });
		expect(day.usd.used).toBeCloseTo(response.body.totals.cost_usd, 9);
		expect(month.tokens.used).toBe(response.body.totals.total_tokens);
		expect(day.starts_at).toBe(`${today()}T00:00:00.000Z`);
		expect(Date.parse(day.resets_at) - Date.parse(day.starts_at)).toBe(86_400_000);
	});

	it("never shows one user another's usage", async () => {
		const bobs = await usageOf(bob.accessToken, "?group_by=model");
		expectStatus(bobs, 200);
		expect(bobs.body.totals.requests).toBe(1);
		expect(bobs.body.buckets.map((bucket) => bucket.key)).toEqual(["mock/parley-mock-1"]);
		// There is no way to ask for someone else's: the query takes no user.
		expectStatus(await usageOf(bob.accessToken, `?user_id=${alice.userId}`), 400, "validation_failed");
		const admins = await usageOf(admin.accessToken);
		expect(admins.body.totals.requests).toBe(0);
	});

	it("limits reports to a range: dates are whole UTC days, date-times instants", async () => {
		const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
		const before = await usageOf(alice.accessToken, `?from=${daysAgo(10)}&to=${daysAgo(1)}`);
		expectStatus(before, 200);
		expect(before.body.totals.requests).toBe(0);
		expect(before.body.buckets).toEqual([]);
		const onlyToday = await usageOf(alice.accessToken, `?from=${today()}&to=${today()}`);
		expect(onlyToday.body.totals.requests).toBe(4);
		const future = new Date(Date.now() + 3_600_000).toISOString();
		const untilNow = await usageOf(alice.accessToken, `?to=${encodeURIComponent(future)}`);
		expect(untilNow.body.totals.requests).toBe(4);
	});

	it("describes the usage and budget routes, and 429 on the routes that call models, in OpenAPI", async () => {
		const document = await client.get<{
			paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
		}>("/openapi.json");
		expect(document.body.paths["/v1/usage"]?.get?.responses).toHaveProperty("200");
		expect(document.body.paths["/v1/admin/usage"]?.get?.responses).toHaveProperty("403");
		expect(Object.keys(document.body.paths["/v1/admin/users/{id}/budget"] ?? {})).toEqual(
			expect.arrayContaining(["get", "put"]),
		);
		for (const path of ["/v1/chat", "/v1/generate", "/v1/prompts", "/v1/chat/completions"]) {
			expect(document.body.paths[path]?.post?.responses, path).toHaveProperty("429");
		}
	});

	it("refuses bad report queries with 400", async () => {
		for (const query of [
			"?from=2026-11-03&to=2026-11-01",
			"?from=2020-01-01&to=2026-01-01",
			"?group_by=week",
			"?group_by=user",
			"?from=yesterday",
			"?from=2026-02-30",
			"?to=2026-11-01T10:00:00",
		]) {
			expectStatus(await usageOf(alice.accessToken, query), 400, "validation_failed");
		}
		expectStatus(await client.get("/v1/usage"), 401, "authentication_required");
	});

	it("gives admins everyone's usage, by user or for one user; others get 403", async () => {
		expectStatus(await client.get("/v1/admin/usage", { token: alice.accessToken }), 403, "forbidden");
		const byUser = await client.get<UsageBody & { user_id: string | null }>("/v1/admin/usage?group_by=user", {
			token: admin.accessToken,
		});
		expectStatus(byUser, 200);
		const keyed = Object.fromEntries(byUser.body.buckets.map((bucket) => [bucket.key, bucket.requests]));
		expect(keyed[alice.userId]).toBe(4);
		expect(keyed[bob.userId]).toBe(1);
		expect(byUser.body).not.toHaveProperty("budget");
		const aliceOnly = await client.get<UsageBody & { user_id: string | null }>(
			`/v1/admin/usage?group_by=model&user_id=${alice.userId}`,
			{ token: admin.accessToken },
		);
		expect(aliceOnly.body.user_id).toBe(alice.userId);
		expect(aliceOnly.body.totals).toEqual((await usageOf(alice.accessToken)).body.totals);
	});

	it("lets only admins read and set budgets; 404 for an unknown user", async () => {
		const path = `/v1/admin/users/${alice.userId}/budget`;
		expectStatus(await client.get(path, { token: alice.accessToken }), 403, "forbidden");
		expectStatus(await client.put(path, { daily_tokens: 0 }, { token: alice.accessToken }), 403, "forbidden");
		expectStatus(
			await client.put(`/v1/admin/users/${bob.userId}/budget`, { daily_tokens: 1 }, { token: alice.accessToken }),
			403,
		);
		expectStatus(await client.get("/v1/admin/users/nobody/budget", { token: admin.accessToken }), 404, "not_found");
		expectStatus(
			await client.put("/v1/admin/users/nobody/budget", { daily_tokens: 5 }, { token: admin.accessToken }),
			404,
		);
		for (const body of [{ daily_tokens: -1 }, { daily_tokens: 1.5 }, { weekly_tokens: 5 }, { monthly_usd: "5" }]) {
			expectStatus(await client.put(path, body, { token: admin.accessToken }), 400, "validation_failed");
		}
		const untouched = await client.get<BudgetBody>(path, { token: admin.accessToken });
		expect(untouched.body.overrides).toEqual({
			daily_tokens: null,
			monthly_tokens: null,
			daily_usd: null,
			monthly_usd: null,
		});
		expect(untouched.body.updated_at).toBeNull();
	});

	it("refuses calls once a budget is used up, before the model is called; admins raise and clear the limit", async () => {
		const carol = await signUp(client, "carol@example.com");
		const path = `/v1/admin/users/${carol.userId}/budget`;
		expectStatus(await chat(carol.accessToken), 200);
		const set = await client.put<BudgetBody>(path, { daily_tokens: 1, monthly_usd: 2.5 }, { token: admin.accessToken });
		expectStatus(set, 200);
		expect(set.body.overrides).toEqual({ daily_tokens: 1, monthly_tokens: null, daily_usd: null, monthly_usd: 2.5 });
		expect(set.body.effective).toEqual({ daily_tokens: 1, monthly_tokens: null, daily_usd: null, monthly_usd: 2.5 });
		expect(set.body.budget.day.tokens.remaining).toBe(0);

		const turnsBefore = await history(carol.accessToken);
		const upstreamCallsBefore = upstream.requests.length;
		const refused = await chat(carol.accessToken);
		expectStatus(refused, 429, "budget_exceeded");
		expect(refused.headers.get("content-type")).toContain("application/problem+json");
		const retryAfter = Number(refused.headers.get("retry-after"));
		const secondsToMidnight = (Date.parse(set.body.budget.day.resets_at) - Date.now()) / 1000;
		expect(retryAfter).toBeGreaterThanOrEqual(1);
		expect(Math.abs(retryAfter - secondsToMidnight)).toBeLessThan(60);
		expect(refused.body).toMatchObject({
			limit: "daily_tokens",
			window: "day",
			limit_value: 1,
			resets_at: set.body.budget.day.resets_at,
			exceeded: ["daily_tokens"],
		});

		// Every endpoint that calls a model is refused the same way, streaming or not.
		const streamed = await fetch(`${parley.url}/v1/chat`, {
			method: "POST",
			headers: { authorization: `Bearer ${carol.accessToken}`, "content-type": "application/json" },
			body: JSON.stringify({ prompt: "Stream, please.", stream: true }),
		});
		expect(streamed.status).toBe(429);
		expect(await streamed.json()).toMatchObject({ code: "budget_exceeded" });
		for (const [route, body] of [
			["/v1/generate", { prompt: "One more?" }],
			["/v1/prompts", { prompt: "One more?" }],
			["/v1/chat/completions", { model: "openai-compatible/llama3.2", messages: [{ role: "user", content: "Hi" }] }],
			[
				"/v1/chat/completions",
				{ model: "openai-compatible/llama3.2", stream: true, messages: [{ role: "user", content: "Hi" }] },
			],
		] as const) {
			const response = await client.post(route, body, { token: carol.accessToken });
			expectStatus(response, 429, "budget_exceeded");
			// The same window's reset, counted down from now: a second may have passed since the first refusal.
			const seconds = Number(response.headers.get("retry-after"));
			expect(seconds).toBeLessThanOrEqual(retryAfter);
			expect(seconds).toBeGreaterThanOrEqual(retryAfter - 5);
		}
		expect(upstream.requests.length).toBe(upstreamCallsBefore);
		expect(await history(carol.accessToken)).toBe(turnsBefore);

		// Raised: the same user may chat again at once.
		const raised = await client.put<BudgetBody>(path, { daily_tokens: 10_000_000 }, { token: admin.accessToken });
		expect(raised.body.effective.daily_tokens).toBe(10_000_000);
		expect(raised.body.overrides.monthly_usd).toBe(2.5);
		expectStatus(await chat(carol.accessToken), 200);

		// Lowered again, then cleared back to the role's default (no limit).
		await client.put(path, { daily_tokens: 1 }, { token: admin.accessToken });
		expectStatus(await chat(carol.accessToken), 429, "budget_exceeded");
		const cleared = await client.put<BudgetBody>(
			path,
			{ daily_tokens: null, monthly_usd: null },
			{ token: admin.accessToken },
		);
		expect(cleared.body.overrides).toEqual({
			daily_tokens: null,
			monthly_tokens: null,
			daily_usd: null,
			monthly_usd: null,
		});
		expect(cleared.body.effective.daily_tokens).toBeNull();
		expect(cleared.body.updated_at).toBeNull();
		expectStatus(await chat(carol.accessToken), 200);

		// Carol's limits never touched anyone else.
		expectStatus(await chat(bob.accessToken), 200);
	});
});

// Real: Parley + SQLite over HTTP with the mock model priced, and budgets from configuration.
describe("budgets from configuration", () => {
	let parley: RunningParley;
	let client: ApiClient;

	beforeAll(async () => {
		parley = await startParley({
			ADMIN_EMAILS: "root@example.com",
			DEMO_KNOWLEDGE: "false",
			MEMORY_EXTRACTION: "off",
			LLM_PRICES: pricedMock,
			BUDGET_DAILY_TOKENS: "1",
			BUDGETS_BY_ROLE: JSON.stringify({ admin: { daily_tokens: 0, daily_usd: 0.000001 } }),
		});
		client = apiClient(parley.url);
	});
	afterAll(() => parley.close());

	it("applies BUDGET_* to every user and BUDGETS_BY_ROLE to the roles it names", async () => {
		const user = await signUp(client, "dave@example.com");
		expectStatus(await client.post("/v1/chat", { prompt: "Hello" }, { token: user.accessToken }), 200);
		const refused = await client.post("/v1/chat", { prompt: "Hello again" }, { token: user.accessToken });
		expectStatus(refused, 429, "budget_exceeded");
		expect(refused.body).toMatchObject({ limit: "daily_tokens" });
		const status = await client.get<UsageBody>("/v1/usage", { token: user.accessToken });
		expect(status.body.budget.day.tokens).toMatchObject({ limit: 1, remaining: 0 });
		expect(status.body.budget.day.tokens.used).toBeGreaterThan(1);

		// The admin role lifts the token limit but sets a cost limit of one micro-dollar.
		const root = await signUp(client, "root@example.com");
		const first = await client.post<{ usage: Usage }>("/v1/chat", { prompt: "Hello" }, { token: root.accessToken });
		expectStatus(first, 200);
		expect(first.body.usage.cost_usd).toBeGreaterThan(0.000001);
		const overCost = await client.post("/v1/chat", { prompt: "Hello" }, { token: root.accessToken });
		expectStatus(overCost, 429, "budget_exceeded");
		expect(overCost.body).toMatchObject({ limit: "daily_usd", limit_value: 0.000001 });
		const rootStatus = await client.get<UsageBody>("/v1/usage", { token: root.accessToken });
		expect(rootStatus.body.budget.day.tokens.limit).toBeNull();
		expect(rootStatus.body.budget.day.usd).toMatchObject({ limit: 0.000001, remaining: 0 });
	});
});
