import { randomUUID } from "node:crypto";
import { createLocalJWKSet, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { AppError } from "../errors.js";
import type { UserRecord } from "../store/store-port.js";
import type { Principal } from "./principal.js";
import type { SigningKeys } from "./signing-keys.js";
import { createVerifiedTokenCache } from "./verified-token-cache.js";

export interface AccessTokenClaims {
	sub: string;
	email: string | null;
	username: string | null;
	"custom:roles": string[];
	token_use: "access";
}

export interface IssuedAccessToken {
	token: string;
	expiresIn: number;
}

export interface AccessTokens {
	issue(user: Pick<UserRecord, "id" | "email" | "username" | "roles">): Promise<IssuedAccessToken>;
	/** Throws AppError invalid_token / token_expired. Verified tokens are remembered until `exp`. */
	verify(token: string): Promise<Principal>;
	readonly issuer: string;
}

/**
 * Parley's own access tokens: short-lived JWTs signed with the instance key, claims in the
 * style of Cognito access tokens. The algorithm is pinned on verification, which is what
 * rejects `alg: none` and the HS256-with-the-public-key confusion.
 */
export function createAccessTokens(options: {
	keys: SigningKeys;
	issuer: string;
	audience: string;
	ttlSeconds: number;
	now?: () => number;
}): AccessTokens {
	const now = options.now ?? Date.now;
	const keySet = createLocalJWKSet(options.keys.jwks);
	const cache = createVerifiedTokenCache<Principal>();
	const verifyOptions = {
		issuer: options.issuer,
		audience: options.audience,
		algorithms: [options.keys.algorithm],
		requiredClaims: ["sub", "exp", "iat"],
	};

	return {
		issuer: options.issuer,
		async issue(user) {
			const issuedAt = Math.floor(now() / 1000);
			const token = await new SignJWT({
				email: user.email,
				username: user.username,
				"custom:roles": user.roles,
				token_use: "access",
			} satisfies Omit<AccessTokenClaims, "sub">)
				.setProtectedHeader({ alg: options.keys.algorithm, kid: options.keys.keyId, typ: "JWT" })
				.setSubject(user.id)
				.setIssuer(options.issuer)
				.setAudience(options.audience)
				.setIssuedAt(issuedAt)
				.setExpirationTime(issuedAt + options.ttlSeconds)
				.setJti(randomUUID())
				.sign(options.keys.privateKey);
			return { token, expiresIn: options.ttlSeconds };
		},
		async verify(token) {
			const nowMs = now();
			const cached = cache.get(token, nowMs);
			if (cached) return cached;
			let payload: Record<string, unknown> & { exp?: number; sub?: string };
			try {
				({ payload } = await jwtVerify(token, keySet, { ...verifyOptions, currentDate: new Date(nowMs) }));
			} catch (error) {
				throw toTokenError(error);
			}
			if (payload.token_use !== "access") throw new AppError("invalid_token", { detail: "not an access token" });
			const principal: Principal = {
				userId: payload.sub as string,
				email: typeof payload.email === "string" ? payload.email : null,
				username: typeof payload.username === "string" ? payload.username : null,
				roles: Array.isArray(payload["custom:roles"]) ? (payload["custom:roles"] as string[]) : [],
				method: "access-token",
				apiKeyId: null,
				mayActForOthers: false,
			};
			cache.set(token, principal, (payload.exp as number) * 1000);
			return principal;
		},
	};
}

export function toTokenError(error: unknown): AppError {
	if (error instanceof joseErrors.JWTExpired) return new AppError("token_expired");
	if (error instanceof AppError) return error;
	const detail = error instanceof joseErrors.JOSEError ? error.code : "malformed token";
	return new AppError("invalid_token", { detail });
}
