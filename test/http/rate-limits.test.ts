import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, type ApiResponse, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";
import { deleteKeys, redisUnavailableBecause, testRedisUrl, uniqueKeyPrefix } from "../support/redis.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";

function expectLimited(response: ApiResponse, route: string) {
	expect(response.status).toBe(429);
	expect(response.headers.get("content-type")).toContain("application/problem+json");
	expect(response.body.code).toBe("rate_limited");
	expect(response.body.detail).toContain(route);
	expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
}

// Real: Parley over HTTP with its in-process counters; then two server processes on one Redis.
describe("rate limits (in-process counters)", () => {
	let parley: RunningParley;
	let client: ApiClient;

	beforeAll(async () => {
		parley = await startParley({
			RATE_LIMIT_ENABLED: "true",
			RATE_LIMIT_PER_MINUTE: "5",
			RATE_LIMIT_AUTH_PER_MINUTE: "3",
			RATE_LIMITS: "role:admin=50/min; POST /v1/memories=2/s,3/min",
			ADMIN_EMAILS: "boss@example.com",
			TRUST_PROXY: "true",
			MEMORY_EXTRACTION: "off",
			DEMO_KNOWLEDGE: "false",
		});
		client = apiClient(parley.url);
	});
	afterAll(async () => parley.close());

	// Each sign-up comes from its own address: the per-IP login limit is tested on its own below.
	let addressNumber = 0;
	const fromNewAddress = () => ({ "x-forwarded-for": `10.0.0.${++addressNumber}` });
	async function newUser(email: string): Promise<string> {
		const headers = fromNewAddress();
		const password = "correct horse battery staple";
		expect((await client.post("/v1/auth/register", { email, password }, { headers })).status).toBe(201);
		const login = await client.post<{ access_token: string }>("/v1/auth/login", { email, password }, { headers });
		return login.body.access_token;
	}

	it("RATE_LIMIT_PER_MINUTE per user and route, announced in RateLimit-Policy and RateLimit", async () => {
		const token = await newUser("limited@example.com");
		const responses: ApiResponse[] = [];
		for (let index = 0; index < 6; index++) responses.push(await client.get("/v1/users/me", { token }));
		expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 429]);
		expect(responses[0]?.headers.get("ratelimit-policy")).toBe('"minute";q=5;w=60');
		expect(responses[0]?.headers.get("ratelimit")).toMatch(/^"minute";r=4;t=(59|60)$/);
		expect(responses[4]?.headers.get("ratelimit")).toMatch(/^"minute";r=0;t=\d+$/);
		expectLimited(responses[5] as ApiResponse, "GET /v1/users/me");

		// Another route keeps its own count; another user has their own.
		expect((await client.get("/v1/conversations", { token })).status).toBe(200);
		const other = await newUser("unlimited@example.com");
		expect((await client.get("/v1/users/me", { token: other })).status).toBe(200);
	});

	it("a limited request changes nothing", async () => {
		const token = await newUser("writer@example.com");
		for (let index = 0; index < 5; index++) await client.post("/v1/collections", { name: `c${index}` }, { token });
		const refused = await client.post("/v1/collections", { name: "one-too-many" }, { token });
		expect(refused.status).toBe(429);
		const list = await client.get<{ data: Array<{ name: string }> }>("/v1/collections", {
			token: await newUser("x@example.com"),
		});
		expect(list.status).toBe(200);
		const own = await newUser("writer-check@example.com");
		expect(
			(await client.get<{ data: Array<{ name: string }> }>("/v1/collections", { token: own })).body.data,
		).not.toContainEqual(expect.objectContaining({ name: "one-too-many" }));
	});

	it("several windows at once: a request refused by one does not use up another", async () => {
		const token = await newUser("windows@example.com");
		const remember = (text: string) => client.post("/v1/memories", { text }, { token });
		expect((await remember("I like tea")).status).toBe(201);
		const first = await remember("I like green tea");
		expect(first.status).toBe(201);
		expect(first.headers.get("ratelimit-policy")).toBe('"second";q=2;w=1, "minute";q=3;w=60');
		// Refused by the per-second window: the minute's third request is still there afterwards.
		for (let index = 0; index < 3; index++) expectLimited(await remember(`flood ${index}`), "POST /v1/memories");
		await sleep(1100);
		expect((await remember("I live in Porto")).status).toBe(201);
		await sleep(1100);
		const minuteSpent = await remember("I work at night");
		expectLimited(minuteSpent, "POST /v1/memories");
		expect(Number(minuteSpent.headers.get("retry-after"))).toBeGreaterThan(50);
	});

	it("per role: RATE_LIMITS gives admins their own limit", async () => {
		const admin = await newUser("boss@example.com");
		const statuses: number[] = [];
		for (let index = 0; index < 8; index++) statuses.push((await client.get("/v1/users/me", { token: admin })).status);
		expect(statuses.every((status) => status === 200)).toBe(true);
	});

	it("login: attempts per account, whatever the address, and per address, whatever the account", async () => {
		await newUser("victim@example.com");
		const attempt = (email: string, password: string, address: string) =>
			client.post("/v1/auth/login", { email, password }, { headers: { "x-forwarded-for": address } });
		for (let index = 0; index < 2; index++) {
			expect((await attempt("victim@example.com", "guess", `10.9.0.${index}`)).status).toBe(401);
		}
		// The successful login before counted too: the fourth attempt on the account is refused,
		// even with the right password and from a new address.
		expectLimited(
			await attempt("victim@example.com", "correct horse battery staple", "10.9.0.99"),
			"POST /v1/auth/login",
		);

		const address = "10.8.0.1";
		for (let index = 0; index < 3; index++)
			expect((await attempt(`nobody${index}@example.com`, "guess", address)).status).toBe(401);
		expectLimited(await attempt("nobody-else@example.com", "guess", address), "POST /v1/auth/login");
	});

	it("public routes other than login and register are not limited", async () => {
		for (let index = 0; index < 8; index++) expect((await client.get("/v1/health")).status).toBe(200);
	});
});

describe("rate limits shared by two server processes through Redis", async () => {
	const redisMissing = await redisUnavailableBecause();
	if (redisMissing !== undefined && process.env.CI !== "true") {
		it.skip(`needs Redis (${redisMissing})`, () => {});
		return;
	}
	let first: ServerProcess;
	let second: ServerProcess;
	let dataDirectory: string;
	const keyPrefix = uniqueKeyPrefix("http-ratelimit");

	beforeAll(async () => {
		if (redisMissing !== undefined) throw new Error(`Redis is required under CI=true: ${redisMissing}`);
		dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-ratelimit-"));
		const environment = {
			DATA_DIR: dataDirectory,
			REDIS_URL: testRedisUrl,
			REDIS_KEY_PREFIX: keyPrefix,
			// One deployment behind one address: tokens from either process are valid on both.
			PUBLIC_URL: "http://parley.test",
			RATE_LIMIT_PER_MINUTE: "15",
			DEMO_KNOWLEDGE: "false",
			MEMORY_EXTRACTION: "off",
		};
		// One after the other: the first creates the SQLite file and the signing key both share.
		first = await startServerProcess(environment);
		second = await startServerProcess(environment);
	}, 60_000);
	afterAll(async () => {
		await first?.stop();
		await second?.stop();
		const redis = new Redis(testRedisUrl);
		await deleteKeys(redis, keyPrefix);
		redis.disconnect();
		if (dataDirectory) await rm(dataDirectory, { recursive: true, force: true });
	});

	it("the allowed requests across both never exceed the limit", async () => {
		const clients = [apiClient(first.url), apiClient(second.url)];
		// Alternating, one at a time: each process sees the other's hits.
		const { accessToken: alternating } = await signUp(clients[0] as ApiClient, "alternating@example.com");
		const statuses: number[] = [];
		for (let index = 0; index < 18; index++) {
			statuses.push((await (clients[index % 2] as ApiClient).get("/v1/conversations", { token: alternating })).status);
		}
		expect(statuses).toEqual([...Array(15).fill(200), 429, 429, 429]);

		// Concurrent, split across both: exactly the limit passes.
		const { accessToken: token } = await signUp(clients[1] as ApiClient, "shared@example.com");
		const responses = await Promise.all(
			Array.from({ length: 40 }, (_, index) => (clients[index % 2] as ApiClient).get("/v1/conversations", { token })),
		);
		expect(responses.filter((response) => response.status === 200)).toHaveLength(15);
		expect(responses.filter((response) => response.status === 429)).toHaveLength(25);
	});
});

describe("when Redis is down", () => {
	const deadRedis = "redis://127.0.0.1:1";

	it("fail-open (default): requests pass and the error metric counts them", async () => {
		const parley = await startParley({ RATE_LIMIT_ENABLED: "true", REDIS_URL: deadRedis, DEMO_KNOWLEDGE: "false" });
		try {
			const client = apiClient(parley.url);
			const { accessToken: token } = await signUp(client, "open@example.com");
			expect((await client.get("/v1/users/me", { token })).status).toBe(200);
			const metrics = await client.get("/metrics");
			const errors = /parley_rate_limit_store_errors_total (\d+)/.exec(metrics.text);
			expect(Number(errors?.[1])).toBeGreaterThanOrEqual(1);
		} finally {
			await parley.close();
		}
	});

	it("fail-closed: 503 rate_limit_unavailable with Retry-After", async () => {
		const parley = await startParley({
			RATE_LIMIT_ENABLED: "true",
			REDIS_URL: deadRedis,
			RATE_LIMIT_FAILURE_MODE: "closed",
			RATE_LIMIT_AUTH_PER_MINUTE: "0",
			DEMO_KNOWLEDGE: "false",
		});
		try {
			const client = apiClient(parley.url);
			const { accessToken: token } = await signUp(client, "closed@example.com");
			const response = await client.get("/v1/users/me", { token });
			expect(response.status).toBe(503);
			expect(response.body.code).toBe("rate_limit_unavailable");
			expect(response.headers.get("retry-after")).toBe("1");
		} finally {
			await parley.close();
		}
	});
});
