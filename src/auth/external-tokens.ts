import { createRemoteJWKSet, jwtVerify } from "jose";
import { AppError } from "../errors.js";
import type { UserService } from "../users/user-service.js";
import { toTokenError } from "./access-tokens.js";
import type { Principal } from "./principal.js";
import { createVerifiedTokenCache } from "./verified-token-cache.js";

export interface ExternalTokenOptions {
	jwksUrl: string;
	issuer: string;
	/** Checked against `aud`, or against `client_id` for Cognito access tokens, which carry no `aud`. */
	audience?: string | undefined;
	algorithms: string[];
	rolesClaim: string;
	users: UserService;
	now?: () => number;
}

export type ExternalTokens = ReturnType<typeof createExternalTokens>;

/**
 * Tokens from an external identity provider (Cognito, Auth0, Keycloak…): verified against the
 * provider's JWKS with the algorithms pinned by configuration; the user is provisioned on first
 * sight and remembered by (issuer, sub).
 */
export function createExternalTokens(options: ExternalTokenOptions) {
	const now = options.now ?? Date.now;
	const keySet = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
	const cache = createVerifiedTokenCache<Principal>();

	return {
		issuer: options.issuer,
		async verify(token: string): Promise<Principal> {
			const nowMs = now();
			const cached = cache.get(token, nowMs);
			if (cached) return cached;
			let payload: Record<string, unknown>;
			try {
				({ payload } = await jwtVerify(token, keySet, {
					issuer: options.issuer,
					algorithms: options.algorithms,
					requiredClaims: ["sub", "exp"],
					currentDate: new Date(nowMs),
				}));
			} catch (error) {
				throw toTokenError(error);
			}
			if (options.audience !== undefined && !audienceMatches(payload, options.audience)) {
				throw new AppError("invalid_token", { detail: "audience mismatch" });
			}
			const email = typeof payload.email === "string" ? payload.email.toLowerCase() : null;
			const usernameClaim = payload.username ?? payload["cognito:username"] ?? payload.preferred_username;
			const tokenRoles = readRoles(payload[options.rolesClaim] ?? payload["cognito:groups"]);
			const user = await options.users.findOrCreateExternalUser({
				issuer: options.issuer,
				subject: payload.sub as string,
				email,
				username: typeof usernameClaim === "string" ? usernameClaim : null,
				roles: tokenRoles,
			});
			const principal: Principal = {
				userId: user.id,
				email: user.email,
				username: user.username,
				// The identity provider stays the source of truth for roles on every token.
				roles: [...new Set([...user.roles, ...tokenRoles])],
				method: "external-token",
				apiKeyId: null,
				mayActForOthers: false,
			};
			cache.set(token, principal, (payload.exp as number) * 1000);
			return principal;
		},
	};
}

function audienceMatches(payload: Record<string, unknown>, audience: string): boolean {
	const aud = payload.aud;
	if (typeof aud === "string") return aud === audience;
	if (Array.isArray(aud)) return aud.includes(audience);
	return payload.client_id === audience;
}

/** Roles arrive as an array, a JSON array in a string (Cognito custom attributes) or a comma list. */
export function readRoles(value: unknown): string[] {
	if (Array.isArray(value)) return value.filter((role): role is string => typeof role === "string");
	if (typeof value !== "string" || value.trim() === "") return [];
	if (value.trim().startsWith("[")) {
		try {
			return readRoles(JSON.parse(value));
		} catch {
			return [];
		}
	}
	return value
		.split(",")
		.map((role) => role.trim())
		.filter(Boolean);
}
