import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Authenticator } from "../auth/authenticator.js";
import { hasRole, type Principal } from "../auth/principal.js";
import { AppError } from "../errors.js";
import type { UserService } from "../users/user-service.js";
import "./fastify-augmentation.js";

/**
 * Authenticates every request on a non-public route before its body is read, so unauthenticated
 * clients learn nothing about the route's schema.
 */
export function registerAuthentication(
	app: FastifyInstance,
	options: { authenticator: Authenticator; devIdentity: boolean },
): void {
	app.decorateRequest("principal", null);
	app.addHook("onRequest", async (request) => {
		const config = request.routeOptions.config;
		const access = config?.access ?? "user";
		if (access === "public" || request.is404) return;
		const principal = await options.authenticator.authenticate(request.headers);
		if (principal === null) {
			// Anonymous development requests may name their user in the body (seed compatibility).
			if (config?.delegatedUser && options.devIdentity) return;
			throw new AppError("authentication_required");
		}
		if (access === "admin" && !hasRole(principal, "admin"))
			throw new AppError("forbidden", { detail: "admin role required" });
		request.principal = principal;
	});
}

/** The authenticated caller on a route that requires one. */
export function principalOf(request: FastifyRequest): Principal {
	if (request.principal === null) throw new AppError("authentication_required");
	return request.principal;
}

/**
 * The user a request acts for, honouring an optional `userId` body field: ignored when it names
 * the caller, honoured for service keys and anonymous development requests, 403 otherwise.
 */
export async function actingPrincipal(
	request: FastifyRequest,
	requestedUserId: string | undefined,
	users: UserService,
): Promise<Principal> {
	const caller = request.principal;
	if (caller && !caller.mayActForOthers) {
		if (requestedUserId === undefined || namesCaller(caller, requestedUserId)) return caller;
		throw new AppError("forbidden", { detail: "userId does not match the authenticated user" });
	}
	if (requestedUserId === undefined) {
		if (caller) return caller;
		throw new AppError("authentication_required");
	}
	const user = await users.findOrCreateDelegatedUser(requestedUserId, { matchUserIds: caller !== null });
	return {
		userId: user.id,
		email: user.email,
		username: user.username,
		roles: user.roles,
		method: caller ? "service-key" : "dev-identity",
		apiKeyId: null,
		mayActForOthers: false,
	};
}

function namesCaller(caller: Principal, requested: string): boolean {
	return requested === caller.userId || requested === caller.username || requested.toLowerCase() === caller.email;
}
