import { importJWK, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { signingJwkFromSeed } from "../../src/auth/signing-key-seed.js";
import { loadConfig } from "../../src/config.js";

const seed = "7f3a9c1e5b2d4f6a8c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d2f4a";

describe("signing key from a seed", () => {
	it("derives the same working ES256 key from the same seed, another from another", async () => {
		const first = signingJwkFromSeed(seed);
		expect(signingJwkFromSeed(seed)).toEqual(first);
		expect(signingJwkFromSeed(seed.replace("7f", "7e")).d).not.toBe(first.d);
		const token = await new SignJWT({ sub: "user" })
			.setProtectedHeader({ alg: "ES256" })
			.sign(await importJWK(first, "ES256"));
		const { d: _private, ...publicJwk } = first;
		const { payload } = await jwtVerify(token, await importJWK(publicJwk, "ES256"));
		expect(payload.sub).toBe("user");
	});

	it("is accepted as persistent in production and refused when malformed", () => {
		const production = { NODE_ENV: "production", PUBLIC_URL: "https://chat.example.com", AUTH_DEV_LOGIN: "false" };
		const config = loadConfig({ ...production, AUTH_SIGNING_KEY_SEED: seed, PARLEY_MASTER_KEY: "ab".repeat(32) });
		expect(JSON.parse(config.auth.signingKey ?? "{}")).toMatchObject({ kty: "EC", alg: "ES256" });
		expect(() => loadConfig({ AUTH_SIGNING_KEY_SEED: "not-hex" })).toThrow(/AUTH_SIGNING_KEY_SEED/);
	});
});
