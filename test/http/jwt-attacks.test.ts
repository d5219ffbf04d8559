import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { type CryptoKey, decodeJwt, exportJWK, exportSPKI, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

// Real: Parley + SQLite + jose over HTTP. Attack tokens are crafted with jose here.
describe("access tokens resist forgery", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let valid: string;
	let claims: Record<string, unknown>;
	let serverPrivateKey: CryptoKey;
	let kid: string;

	const rejected = async (token: string, code = "invalid_token") => {
		const response = await client.get("/v1/users/me", { token });
		expect(response.status).toBe(401);
		expect(response.body.code).toBe(code);
		expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
	};

	const signWithServerKey = (payload: Record<string, unknown>) =>
		new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid }).sign(serverPrivateKey);

	beforeAll(async () => {
		parley = await startParley();
		client = apiClient(parley.url);
		valid = (await signUp(client, "victim@example.com")).accessToken;
		claims = decodeJwt(valid) as Record<string, unknown>;
		const file = JSON.parse(await readFile(path.join(parley.dataDirectory, "keys", "signing-keys.json"), "utf8")) as {
			keys: Array<{ kid: string; privateJwk: JWK }>;
		};
		const stored = file.keys[0]!;
		kid = stored.kid;
		serverPrivateKey = (await importJWK(stored.privateJwk, "RS256")) as CryptoKey;
	});
	afterAll(() => parley.close());

	it("accepts the genuine token", async () => {
		expect((await client.get("/v1/users/me", { token: valid })).status).toBe(200);
	});

	it("rejects alg none", async () => {
		await rejected(`${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims)}.`);
	});

	it("rejects HS256 signed with the public key (algorithm confusion)", async () => {
		const jwks = await client.get<{ keys: JWK[] }>("/.well-known/jwks.json");
		const publicKey = await importJWK(jwks.body.keys[0]!, "RS256");
		const pem = await exportSPKI(publicKey as CryptoKey);
		const forged = await new SignJWT(claims)
			.setProtectedHeader({ alg: "HS256", kid })
			.sign(new TextEncoder().encode(pem));
		await rejected(forged);
	});

	it("rejects an unknown kid and a foreign key claiming the right kid", async () => {
		const { privateKey } = await generateKeyPair("RS256");
		await rejected(
			await new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "someone-else" }).sign(privateKey),
		);
		await rejected(await new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid }).sign(privateKey));
	});

	it("rejects a tampered payload", async () => {
		const [header, , signature] = valid.split(".");
		await rejected(`${header}.${base64url({ ...claims, "custom:roles": ["admin"] })}.${signature}`);
	});

	it("rejects expired tokens with token_expired", async () => {
		const past = Math.floor(Date.now() / 1000) - 3600;
		await rejected(await signWithServerKey({ ...claims, iat: past - 900, exp: past }), "token_expired");
	});

	it("rejects a wrong issuer, a wrong audience, a non-access token and a token without sub", async () => {
		await rejected(await signWithServerKey({ ...claims, iss: "https://evil.example" }));
		await rejected(await signWithServerKey({ ...claims, aud: "another-app" }));
		await rejected(await signWithServerKey({ ...claims, token_use: "id" }));
		const { sub: _sub, ...withoutSubject } = claims;
		await rejected(await signWithServerKey(withoutSubject));
	});

	it("rejects garbage and non-Bearer schemes with problem documents", async () => {
		await rejected("not.a.jwt");
		const basic = await client.get("/v1/users/me", { headers: { authorization: "Basic dXNlcjpwYXNz" } });
		expect(basic.status).toBe(401);
		const none = await client.get("/v1/users/me");
		expect(none.status).toBe(401);
		expect(none.body.code).toBe("authentication_required");
		expect(none.headers.get("www-authenticate")).toBe('Bearer realm="parley"');
	});
});

// Real: a local JWKS endpoint standing in for Cognito/Auth0/Keycloak, and Parley verifying against it.
describe("external identity provider mode", () => {
	let jwksServer: Server;
	let parley: RunningParley;
	let client: ApiClient;
	let idpKey: CryptoKey;
	const issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST";

	const idpToken = (payload: Record<string, unknown>, alg = "RS256") =>
		new SignJWT({ token_use: "access", ...payload })
			.setProtectedHeader({ alg, kid: "idp-key-1" })
			.setIssuer(issuer)
			.setIssuedAt()
			.setExpirationTime("10m")
			.sign(idpKey);

	beforeAll(async () => {
		const pair = await generateKeyPair("RS256", { extractable: true });
		idpKey = pair.privateKey;
		const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "idp-key-1", alg: "RS256", use: "sig" };
		jwksServer = createServer((_request, response) => {
			response.writeHead(200, { "content-type": "application/json" });
			response.end(JSON.stringify({ keys: [publicJwk] }));
		});
		await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
		const port = (jwksServer.address() as AddressInfo).port;
		parley = await startParley({
			AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
			AUTH_ISSUER: issuer,
			AUTH_AUDIENCE: "parley-client-id",
		});
		client = apiClient(parley.url);
	});
	afterAll(async () => {
		await parley.close();
		await new Promise((resolve) => jwksServer.close(resolve));
	});

	it("accepts the IdP's tokens and provisions the user once, with roles from custom:roles", async () => {
		const token = await idpToken({
			sub: "idp-user-1",
			aud: "parley-client-id",
			email: "Idp.User@Example.com",
			"custom:roles": '["user","admin"]',
		});
		const first = await client.get("/v1/users/me", { token });
		expect(first.status).toBe(200);
		expect(first.body).toMatchObject({ email: "idp.user@example.com" });
		const second = await client.get("/v1/users/me", {
			token: await idpToken({ sub: "idp-user-1", aud: "parley-client-id" }),
		});
		expect(second.body.id).toBe(first.body.id);
	});

	it("accepts Cognito access tokens, which carry client_id instead of aud", async () => {
		const token = await idpToken({ sub: "cognito-user", client_id: "parley-client-id", "cognito:groups": ["user"] });
		expect((await client.get("/v1/users/me", { token })).status).toBe(200);
	});

	it("rejects a wrong audience, an HS256 token and another issuer", async () => {
		const wrongAudience = await idpToken({ sub: "x", aud: "other-client" });
		expect((await client.get("/v1/users/me", { token: wrongAudience })).status).toBe(401);
		const hmac = await new SignJWT({ sub: "x", aud: "parley-client-id", token_use: "access" })
			.setProtectedHeader({ alg: "HS256", kid: "idp-key-1" })
			.setIssuer(issuer)
			.setExpirationTime("10m")
			.sign(new TextEncoder().encode("a-shared-secret-nobody-should-accept"));
		expect((await client.get("/v1/users/me", { token: hmac })).status).toBe(401);
	});

	it("never links an IdP identity to an existing local account by email", async () => {
		const local = await signUp(client, "owner@example.com");
		const token = await idpToken({ sub: "impostor", aud: "parley-client-id", email: "owner@example.com" });
		const me = await client.get("/v1/users/me", { token });
		expect(me.status).toBe(200);
		expect(me.body.id).not.toBe(local.userId);
		expect(me.body.email).toBeNull();
	});

	it("still accepts Parley's own tokens", async () => {
		const { accessToken } = await signUp(client, "local@example.com");
		expect((await client.get("/v1/users/me", { token: accessToken })).status).toBe(200);
	});
});
