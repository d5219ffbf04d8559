import type { FastifyRequest } from "fastify";
import { decodeJwt } from "jose";
import type { Authenticator } from "../auth/authenticator.js";
import type { Principal } from "../auth/principal.js";
import { AppError } from "../errors.js";

/**
 * Live connections (WebSocket, EventSource) cannot always set an Authorization header, so they
 * may also carry the access token as `?token=`, or, for WebSocket, as the subprotocol pair
 * `Sec-WebSocket-Protocol: bearer, <token>` (the server then selects `bearer`).
 */
export const bearerSubprotocol = "bearer";

export interface LiveIdentity {
	principal: Principal;
	/** When the token stops being valid (epoch ms); the connection is closed then. Undefined for API keys. */
	expiresAt: number | undefined;
}

export function subprotocolToken(header: string | string[] | undefined): string | undefined {
	const value = Array.isArray(header) ? header.join(",") : header;
	if (!value) return undefined;
	const protocols = value.split(",").map((protocol) => protocol.trim());
	const index = protocols.indexOf(bearerSubprotocol);
	return index >= 0 ? protocols[index + 1] : undefined;
}

export async function authenticateLive(
	request: FastifyRequest,
	authenticator: Authenticator,
	queryToken: string | undefined,
): Promise<LiveIdentity> {
	const token = queryToken ?? subprotocolToken(request.headers["sec-websocket-protocol"]);
	const headers = token === undefined ? request.headers : { ...request.headers, authorization: `Bearer ${token}` };
	const principal = await authenticator.authenticate(headers);
	if (principal === null) throw new AppError("authentication_required");
	const bearer = token ?? request.headers.authorization?.replace(/^bearer\s+/i, "");
	let expiresAt: number | undefined;
	try {
		const expiry = bearer === undefined ? undefined : decodeJwt(bearer).exp;
		expiresAt = typeof expiry === "number" ? expiry * 1000 : undefined;
	} catch {
		// Not a JWT (an API key): valid until revoked.
	}
	return { principal, expiresAt };
}

/** Runs `onExpiry` when the identity's token expires (setTimeout cannot wait more than ~24.8 days). */
export function whenExpired(identity: LiveIdentity, onExpiry: () => void): () => void {
	if (identity.expiresAt === undefined) return () => undefined;
	const timer = setTimeout(onExpiry, Math.min(Math.max(0, identity.expiresAt - Date.now()), 2 ** 31 - 1));
	return () => clearTimeout(timer);
}
