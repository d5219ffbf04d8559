import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiKeyService } from "../../auth/api-keys.js";
import type { ModelRouter } from "../../llm/model-router.js";
import { providerNotConfigured } from "../../llm/router-errors.js";
import type { ProviderKeyService } from "../../provider-keys/provider-key-service.js";
import type { UserService } from "../../users/user-service.js";
import { principalOf } from "../authentication.js";
import { apiKeyRepresentation, userRepresentation } from "../representations.js";
import {
	apiKeyCreateBody,
	apiKeySchema,
	createdApiKeySchema,
	profilePatchBody,
	userSchema,
} from "../schemas/auth-schemas.js";
import { idParameters, noContent, problemResponses } from "../schemas/common.js";

export function userRoutes(dependencies: {
	users: UserService;
	apiKeys: ApiKeyService;
	models: ModelRouter;
	providerKeys: ProviderKeyService;
}): FastifyPluginAsyncZod {
	const { users, apiKeys, models, providerKeys } = dependencies;
	return async (app) => {
		const profileSchema = { tags: ["users"], response: { 200: userSchema, ...problemResponses(401, 404) } };

		const readProfile = async (request: Parameters<typeof principalOf>[0]) =>
			userRepresentation(await users.get(principalOf(request).userId));

		const updateProfile = async (
			request: Parameters<typeof principalOf>[0],
			body: z.infer<typeof profilePatchBody>,
		) => {
			// An unknown model, or one nobody holds a key for, is refused now rather than at the next chat.
			if (body.default_model) {
				const resolved = models.resolve(body.default_model);
				if (!(await providerKeys.mayUse(principalOf(request).userId, resolved))) {
					throw providerNotConfigured(resolved.id, resolved.provider);
				}
			}
			const updated = await users.updateProfile(principalOf(request).userId, {
				name: body.name,
				preferences: body.preferences,
				defaultModel: body.default_model,
				memoryEnabled: body.memory_enabled,
			});
			return userRepresentation(updated);
		};

		app.get("/v1/users/me", { schema: { ...profileSchema, summary: "Your profile" } }, readProfile);
		app.get(
			"/v1/user/profile",
			{ schema: { ...profileSchema, summary: "Your profile (alias of /v1/users/me)" } },
			readProfile,
		);
		app.patch(
			"/v1/users/me",
			{
				schema: {
					...profileSchema,
					summary: "Update your profile",
					description: "Fields left out stay as they are; null clears name or default_model.",
					body: profilePatchBody,
					response: { 200: userSchema, ...problemResponses(400, 401, 404) },
				},
			},
			async (request) => updateProfile(request, request.body),
		);
		app.put(
			"/v1/user/profile",
			{
				schema: {
					...profileSchema,
					summary: "Update your profile (alias of PATCH /v1/users/me)",
					body: profilePatchBody,
					response: { 200: userSchema, ...problemResponses(400, 401, 404) },
				},
			},
			async (request) => updateProfile(request, request.body),
		);

		app.post(
			"/v1/api-keys",
			{
				schema: {
					tags: ["api keys"],
					summary: "Create an API key",
					description:
						"The key is returned once. Send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`; only its " +
						"SHA-256 hash is stored.",
					body: apiKeyCreateBody,
					response: { 201: createdApiKeySchema, ...problemResponses(400, 401) },
				},
			},
			async (request, reply) => {
				const { name, expires_in_days: days } = request.body;
				const created = await apiKeys.create(principalOf(request).userId, {
					name,
					expiresAt: days === undefined ? null : Date.now() + days * 86_400_000,
				});
				return reply.code(201).send({ ...apiKeyRepresentation(created.record), key: created.secret });
			},
		);

		app.get(
			"/v1/api-keys",
			{
				schema: {
					tags: ["api keys"],
					summary: "Your API keys (never the keys themselves)",
					response: { 200: z.object({ data: z.array(apiKeySchema) }), ...problemResponses(401) },
				},
			},
			async (request) => ({ data: (await apiKeys.list(principalOf(request).userId)).map(apiKeyRepresentation) }),
		);

		app.delete(
			"/v1/api-keys/:id",
			{
				schema: {
					tags: ["api keys"],
					summary: "Revoke an API key",
					params: idParameters,
					response: { 204: noContent, ...problemResponses(401, 404) },
				},
			},
			async (request, reply) => {
				await apiKeys.revoke(principalOf(request).userId, request.params.id);
				return reply.code(204).send(null);
			},
		);
	};
}
