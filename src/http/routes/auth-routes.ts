import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AuthService, TokenSet } from "../../auth/auth-service.js";
import type { SigningKeys } from "../../auth/signing-keys.js";
import { userRepresentation } from "../representations.js";
import {
	loginBody,
	logoutBody,
	refreshBody,
	registerBody,
	tokenResponse,
	userSchema,
} from "../schemas/auth-schemas.js";
import { noContent, problemResponses } from "../schemas/common.js";

const tokenBody = (tokens: TokenSet) => ({
	access_token: tokens.accessToken,
	refresh_token: tokens.refreshToken,
	token_type: "Bearer" as const,
	expires_in: tokens.expiresIn,
	access: tokens.accessToken,
	refresh: tokens.refreshToken,
});

export function authRoutes(dependencies: { auth: AuthService; signingKeys: SigningKeys }): FastifyPluginAsyncZod {
	const { auth } = dependencies;
	return async (app) => {
		const publicRoute = { access: "public" as const };
		const passwordRoute = { access: "public" as const, guardsAccount: true };

		app.post(
			"/v1/auth/register",
			{
				config: passwordRoute,
				schema: {
					tags: ["auth"],
					summary: "Create an account",
					description: "Passwords are stored as argon2id hashes. Log in afterwards to get tokens.",
					body: registerBody,
					response: { 201: userSchema, ...problemResponses(400, 409) },
				},
			},
			async (request, reply) => reply.code(201).send(userRepresentation(await auth.register(request.body))),
		);

		app.post(
			"/v1/auth/login",
			{
				config: passwordRoute,
				schema: {
					tags: ["auth"],
					summary: "Log in with email or username and password",
					description:
						"Returns a short-lived RS256 access token (claims sub, email, username, custom:roles, token_use) and a " +
						'refresh token. With AUTH_DEV_LOGIN=true (development only) `{"email": ...}` without a password logs ' +
						"into a password-less development account, creating it if needed.",
					body: loginBody,
					response: { 200: tokenResponse, ...problemResponses(400, 401, 403) },
				},
			},
			async (request) => tokenBody(await auth.login(request.body)),
		);

		app.post(
			"/v1/auth/refresh",
			{
				config: publicRoute,
				schema: {
					tags: ["auth"],
					summary: "Exchange a refresh token for new tokens",
					description:
						"Rotation: the presented refresh token is consumed and a new one returned. Presenting a consumed token " +
						"again revokes its whole session (every token descended from the same login).",
					body: refreshBody,
					response: { 200: tokenResponse, ...problemResponses(400, 401) },
				},
			},
			async (request) => tokenBody(await auth.refresh((request.body.refresh_token ?? request.body.refresh) as string)),
		);

		app.post(
			"/v1/auth/logout",
			{
				config: publicRoute,
				schema: {
					tags: ["auth"],
					summary: "End the session a refresh token belongs to",
					description: "Revokes every refresh token of the session. Access tokens expire on their own (expires_in).",
					body: logoutBody,
					response: { 204: noContent, ...problemResponses(400) },
				},
			},
			async (request, reply) => {
				await auth.logout({ refreshToken: request.body.refresh_token ?? request.body.refresh });
				return reply.code(204).send(null);
			},
		);

		app.get(
			"/.well-known/jwks.json",
			{
				config: publicRoute,
				schema: {
					tags: ["auth"],
					summary: "Public keys that verify Parley's access tokens (JWKS)",
				},
			},
			async (_request, reply) =>
				reply.header("cache-control", "public, max-age=300").send(dependencies.signingKeys.jwks),
		);
	};
}
