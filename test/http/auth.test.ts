import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

// Real: Parley app + SQLite file + argon2 + jose, over HTTP on 127.0.0.1. Model: the offline mock.
describe("auth flows", () => {
	let parley: RunningParley;
	let client: ApiClient;
	beforeAll(async () => {
		parley = await startParley({ ADMIN_EMAILS: "boss@example.com" });
		client = apiClient(parley.url);
	});
	afterAll(() => parley.close());

	it("registers, logs in by email and by username, and issues Cognito-style access tokens", async () => {
		const registered = await client.post("/v1/auth/register", {
			email: "Alice@Example.com",
			username: "alice",
			password: "secret123",
		});
		expect(registered.status).toBe(201);
		expect(registered.body).toMatchObject({ email: "alice@example.com", username: "alice", roles: ["user"] });
		expect(registered.text).not.toContain("secret123");
		expect(registered.text).not.toMatch(/argon2/);

		const byEmail = await client.post<Record<string, string | number>>("/v1/auth/login", {
			email: "alice@example.com",
			password: "secret123",
		});
		expect(byEmail.status).toBe(200);
		expect(byEmail.body).toMatchObject({ token_type: "Bearer", expires_in: 900 });
		expect(byEmail.body.access).toBe(byEmail.body.access_token);
		expect(byEmail.body.refresh).toBe(byEmail.body.refresh_token);

		const header = decodeProtectedHeader(byEmail.body.access_token as string);
		expect(header.alg).toBe("RS256");
		expect(header.kid).toBeTruthy();
		const claims = decodeJwt(byEmail.body.access_token as string);
		expect(claims).toMatchObject({
			sub: registered.body.id,
			email: "alice@example.com",
			username: "alice",
			"custom:roles": ["user"],
			token_use: "access",
			iss: parley.config.auth.tokenIssuer,
			aud: "parley",
		});
		expect((claims.exp as number) - (claims.iat as number)).toBe(900);

		const byUsername = await client.post("/v1/auth/login", { username: "ALICE", password: "secret123" });
		expect(byUsername.status).toBe(200);

		const jwks = await client.get<{ keys: Array<Record<string, string>> }>("/.well-known/jwks.json");
		expect(jwks.status).toBe(200);
		const key = jwks.body.keys.find((candidate) => candidate.kid === header.kid);
		expect(key).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
		expect(key).not.toHaveProperty("d");
		expect(key).not.toHaveProperty("p");
	});

	it("refuses duplicate emails and usernames with 409", async () => {
		await signUp(client, "dup@example.com");
		const again = await client.post("/v1/auth/register", { email: "DUP@example.com", password: "another-password" });
		expect(again.status).toBe(409);
		expect(again.body.code).toBe("email_taken");
		await client.post("/v1/auth/register", { email: "u1@example.com", username: "samename", password: "password1" });
		const sameName = await client.post("/v1/auth/register", {
			email: "u2@example.com",
			username: "SameName",
			password: "password1",
		});
		expect(sameName.body.code).toBe("username_taken");
	});

	it("answers a wrong password and an unknown account the same way", async () => {
		await signUp(client, "bob@example.com", "bob-password");
		const wrong = await client.post("/v1/auth/login", { email: "bob@example.com", password: "nope-nope" });
		const unknown = await client.post("/v1/auth/login", { email: "nobody@example.com", password: "nope-nope" });
		for (const response of [wrong, unknown]) {
			expect(response.status).toBe(401);
			expect(response.headers.get("content-type")).toContain("application/problem+json");
			expect(response.body.code).toBe("invalid_credentials");
			expect(response.headers.get("www-authenticate")).toContain("Bearer");
		}
		expect(wrong.body.detail).toBe(unknown.body.detail);
	});

	it("rotates refresh tokens and revokes the whole session when an old one is replayed", async () => {
		const { refreshToken: first } = await signUp(client, "rotate@example.com");
		const second = await client.post<{ refresh_token: string; access_token: string }>("/v1/auth/refresh", {
			refresh_token: first,
		});
		expect(second.status).toBe(200);
		expect(second.body.refresh_token).not.toBe(first);
		const third = await client.post<{ refresh_token: string }>("/v1/auth/refresh", {
			refresh: second.body.refresh_token,
		});
		expect(third.status).toBe(200);

		// Replaying the first (already used) token is theft: 401 and the family is gone.
		const replay = await client.post("/v1/auth/refresh", { refresh_token: first });
		expect(replay.status).toBe(401);
		expect(replay.body.code).toBe("refresh_token_reused");
		const afterRevocation = await client.post("/v1/auth/refresh", { refresh_token: third.body.refresh_token });
		expect(afterRevocation.status).toBe(401);
		expect(afterRevocation.body.code).toBe("invalid_refresh_token");

		// A separate login is a separate session and still works.
		const other = await client.post<{ refresh_token: string }>("/v1/auth/login", {
			email: "rotate@example.com",
			password: "correct horse battery staple",
		});
		expect((await client.post("/v1/auth/refresh", { refresh_token: other.body.refresh_token })).status).toBe(200);
	});

	it("lets exactly one of two concurrent refreshes with the same token win", async () => {
		const { refreshToken } = await signUp(client, "race@example.com");
		const results = await Promise.all(
			Array.from({ length: 8 }, () => client.post("/v1/auth/refresh", { refresh_token: refreshToken })),
		);
		expect(results.filter((result) => result.status === 200)).toHaveLength(1);
	});

	it("logs out by revoking the session", async () => {
		const { refreshToken } = await signUp(client, "logout@example.com");
		expect((await client.post("/v1/auth/logout", { refresh_token: refreshToken })).status).toBe(204);
		expect((await client.post("/v1/auth/refresh", { refresh_token: refreshToken })).status).toBe(401);
		expect((await client.post("/v1/auth/logout", { refresh_token: "unknown" })).status).toBe(204);
	});

	it("gives the admin role to ADMIN_EMAILS accounts", async () => {
		const { accessToken } = await signUp(client, "boss@example.com");
		expect(decodeJwt(accessToken)["custom:roles"]).toEqual(["user", "admin"]);
	});

	it("supports password-less development login (seed awsProject) but never for accounts with a password", async () => {
		const dev = await client.post<{ access_token: string }>("/v1/auth/login", { email: "teste@example.com" });
		expect(dev.status).toBe(200);
		const me = await client.get("/v1/users/me", { token: dev.body.access_token });
		expect(me.body).toMatchObject({ email: "teste@example.com" });
		const again = await client.post<{ access_token: string }>("/v1/auth/login", { email: "teste@example.com" });
		expect(decodeJwt(again.body.access_token).sub).toBe(me.body.id);

		await signUp(client, "guarded@example.com");
		const blocked = await client.post("/v1/auth/login", { email: "guarded@example.com" });
		expect(blocked.status).toBe(401);
	});

	it("manages API keys: shown once, listed without secrets, accepted as Bearer and X-API-Key, revocable", async () => {
		const { accessToken } = await signUp(client, "keys@example.com");
		const created = await client.post<{ id: string; key: string; prefix: string; last_four: string }>(
			"/v1/api-keys",
			{ name: "ci" },
			{ token: accessToken },
		);
		expect(created.status).toBe(201);
		expect(created.body.key).toMatch(/^prl_[A-Za-z0-9_-]{43}$/);
		expect(created.body.key.startsWith(created.body.prefix)).toBe(true);
		expect(created.body.key.endsWith(created.body.last_four)).toBe(true);

		const listed = await client.get<{ data: Array<Record<string, unknown>> }>("/v1/api-keys", { token: accessToken });
		expect(listed.body.data).toHaveLength(1);
		expect(listed.text).not.toContain(created.body.key);

		const viaBearer = await client.get("/v1/users/me", { token: created.body.key });
		expect(viaBearer.status).toBe(200);
		expect(viaBearer.body.email).toBe("keys@example.com");
		const viaHeader = await client.get("/v1/users/me", { apiKey: created.body.key });
		expect(viaHeader.status).toBe(200);

		expect((await client.delete(`/v1/api-keys/${created.body.id}`, { token: accessToken })).status).toBe(204);
		const revoked = await client.get("/v1/users/me", { apiKey: created.body.key });
		expect(revoked.status).toBe(401);
		expect(revoked.body.code).toBe("invalid_api_key");
		expect((await client.delete(`/v1/api-keys/${created.body.id}`, { token: accessToken })).status).toBe(404);
	});

	it("reads and updates the profile on both paths", async () => {
		const { accessToken } = await signUp(client, "profile@example.com");
		const patched = await client.patch(
			"/v1/users/me",
			{ name: "Pat", preferences: { tone: "formal" }, default_model: "mock/parley-mock-1" },
			{ token: accessToken },
		);
		expect(patched.status).toBe(200);
		expect(patched.body).toMatchObject({
			name: "Pat",
			preferences: { tone: "formal" },
			default_model: "mock/parley-mock-1",
		});
		const viaAlias = await client.get("/v1/user/profile", { token: accessToken });
		expect(viaAlias.body).toMatchObject({ name: "Pat" });
		const put = await client.put("/v1/user/profile", { name: null }, { token: accessToken });
		expect(put.body.name).toBeNull();
		const badModel = await client.patch(
			"/v1/users/me",
			{ default_model: "anthropic/claude-nope" },
			{ token: accessToken },
		);
		expect(badModel.status).toBe(400);
		expect(badModel.body.code).toBe("unknown_model");
	});
});

describe("auth settings", () => {
	it("refuses development login when AUTH_DEV_LOGIN=false", async () => {
		const parley = await startParley({ AUTH_DEV_LOGIN: "false" });
		try {
			const response = await apiClient(parley.url).post("/v1/auth/login", { email: "x@example.com" });
			expect(response.status).toBe(403);
			expect(response.body.code).toBe("dev_login_disabled");
		} finally {
			await parley.close();
		}
	});

	it("demands an API key on every non-public route with REQUIRE_API_KEY=true", async () => {
		const parley = await startParley({
			REQUIRE_API_KEY: "true",
			API_KEYS: "static-service-key-1,static-service-key-2",
		});
		try {
			const client = apiClient(parley.url);
			const { accessToken } = await signUp(client, "keyed@example.com");
			const tokenOnly = await client.get("/v1/users/me", { token: accessToken });
			expect(tokenOnly.status).toBe(401);
			expect(tokenOnly.body.code).toBe("api_key_required");
			const both = await client.get("/v1/users/me", { token: accessToken, apiKey: "static-service-key-2" });
			expect(both.status).toBe(200);
			expect(both.body.email).toBe("keyed@example.com");
			expect((await client.get("/v1/health")).status).toBe(200);
			expect((await client.get("/v1/users/me", { apiKey: "static-service-key-3" })).status).toBe(401);

			// Seed "Serverless Chat API": a service key names the end user in the body.
			const chat = await client.post(
				"/v1/chat",
				{ userId: "user123", prompt: "Olá!" },
				{ apiKey: "static-service-key-1" },
			);
			expect(chat.status).toBe(200);
			const again = await client.post(
				"/v1/chat",
				{ userId: "user123", prompt: "Olá de novo" },
				{ apiKey: "static-service-key-1" },
			);
			expect(again.body.userId).toBe(chat.body.userId);
			const other = await client.post(
				"/v1/chat",
				{ userId: "user456", prompt: "Oi" },
				{ apiKey: "static-service-key-1" },
			);
			expect(other.body.userId).not.toBe(chat.body.userId);
		} finally {
			await parley.close();
		}
	});

	it("keeps the signing key across restarts of the same data directory", async () => {
		const first = await startParley();
		const { accessToken } = await signUp(apiClient(first.url), "persist@example.com");
		await first.app.close();
		await first.runtime.close();
		const second = await startParley({ DATA_DIR: first.dataDirectory });
		try {
			const me = await apiClient(second.url).get("/v1/users/me", { token: accessToken });
			expect(me.status).toBe(200);
		} finally {
			await second.close();
		}
	});
});
