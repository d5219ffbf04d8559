import { decodeJwt } from "jose";
import { AppError } from "../errors.js";
import type { AccessTokens } from "./access-tokens.js";
import type { ApiKeyService } from "./api-keys.js";
import { apiKeyPrefix } from "./api-keys.js";
import type { ExternalTokens } from "./external-tokens.js";
import type { Principal } from "./principal.js";
import type { ServiceKeys } from "./service-keys.js";

export interface CredentialHeaders {
	authorization?: string | undefined;
	"x-api-key"?: string | string[] | undefined;
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

const looksLikeJwt = (value: string) => {
	const first = value.indexOf(".");
	return first > 0 && value.indexOf(".", first + 1) > first + 1;
};

/**
 * Turns a request's credentials into a Principal. Accepted: `Authorization: Bearer <JWT>` (Parley's
 * own access tokens, or an external IdP's), `Authorization: Bearer <API key>` and `X-API-Key`.
 * With REQUIRE_API_KEY an API key is demanded on top; when a JWT comes with it, the JWT says who
 * the user is and the key only admits the request.
 */
export function createAuthenticator(options: {
	accessTokens: AccessTokens;
	externalTokens?: ExternalTokens | undefined;
	apiKeys: ApiKeyService;
	serviceKeys: ServiceKeys;
	requireApiKey: boolean;
}) {
	const { accessTokens, externalTokens, apiKeys, serviceKeys } = options;

	async function verifyJwt(token: string): Promise<Principal> {
		if (externalTokens) {
			let issuer: unknown;
			try {
				issuer = decodeJwt(token).iss;
			} catch {
				throw new AppError("invalid_token", { detail: "malformed token" });
			}
			if (issuer === externalTokens.issuer) return externalTokens.verify(token);
		}
		return accessTokens.verify(token);
	}

	async function verifyKey(key: string): Promise<Principal> {
		if (key.startsWith(apiKeyPrefix)) return apiKeys.authenticate(key);
		const service = await serviceKeys.verify(key);
		if (!service) throw new AppError("invalid_api_key");
		return service;
	}

	return {
		/** Null when the request carries no credentials at all; throws on bad ones. */
		async authenticate(headers: CredentialHeaders): Promise<Principal | null> {
			let bearer: string | undefined;
			const authorization = headers.authorization;
			if (authorization !== undefined && authorization !== "") {
				const space = authorization.indexOf(" ");
				if (space < 0 || authorization.slice(0, space).toLowerCase() !== "bearer") {
					throw new AppError("invalid_token", { detail: "expected 'Authorization: Bearer <token>'" });
				}
				bearer = authorization.slice(space + 1).trim();
				if (bearer === "") throw new AppError("invalid_token", { detail: "empty bearer token" });
			}
			const headerKey = headers["x-api-key"];
			if (Array.isArray(headerKey)) throw new AppError("invalid_api_key", { detail: "send one X-API-Key header" });

			const bearerIsJwt = bearer !== undefined && looksLikeJwt(bearer);
			const tokenPrincipal = bearerIsJwt ? await verifyJwt(bearer as string) : undefined;
			const key = headerKey || (bearerIsJwt ? undefined : bearer);
			const keyPrincipal = key ? await verifyKey(key) : undefined;

			if (options.requireApiKey && !keyPrincipal) throw new AppError("api_key_required");
			if (tokenPrincipal && keyPrincipal?.method === "api-key" && keyPrincipal.userId !== tokenPrincipal.userId) {
				throw new AppError("invalid_api_key", { detail: "the API key belongs to another user" });
			}
			return tokenPrincipal ?? keyPrincipal ?? null;
		},
	};
}
