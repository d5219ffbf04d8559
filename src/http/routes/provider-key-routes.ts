import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { ProviderKeyService, ProviderKeySummary } from "../../provider-keys/provider-key-service.js";
import { principalOf } from "../authentication.js";
import { iso, noContent, problemResponses } from "../schemas/common.js";
import {
	providerKeyListSchema,
	providerKeyPutBody,
	providerKeySchema,
	providerParameters,
} from "../schemas/provider-key-schemas.js";

const tags = ["provider keys"];

const representation = (key: ProviderKeySummary) => ({
	provider: key.provider,
	last_four: key.lastFour,
	base_url: key.baseUrl,
	key_id: key.masterKeyId,
	created_at: iso(key.createdAt),
	updated_at: iso(key.updatedAt),
});

/** Bring your own key: each user's own provider keys, used for their model calls. */
export function providerKeyRoutes(dependencies: { providerKeys: ProviderKeyService }): FastifyPluginAsyncZod {
	const { providerKeys } = dependencies;
	return async (app) => {
		app.get(
			"/v1/users/me/provider-keys",
			{
				schema: {
					tags,
					summary: "Your own provider keys (never the keys themselves)",
					response: { 200: providerKeyListSchema, ...problemResponses(401) },
				},
			},
			async (request) => ({ data: (await providerKeys.list(principalOf(request).userId)).map(representation) }),
		);

		app.put(
			"/v1/users/me/provider-keys/:provider",
			{
				schema: {
					tags,
					summary: "Store your own key for a provider",
					description:
						"Your chat, generate and chat/completions calls to this provider's models then use your key instead of " +
						"the server's, and models of a provider the server has no key for become available to you. The key is " +
						"encrypted at rest (AES-256-GCM envelope, its data key wrapped by the local master key or AWS KMS) and " +
						"never returned; a second PUT replaces it. `base_url` is accepted for openai-compatible only. 503 " +
						"`key_service_unavailable` when AWS KMS cannot be reached (nothing is stored).",
					params: providerParameters,
					body: providerKeyPutBody,
					response: { 200: providerKeySchema, ...problemResponses(400, 401, 503) },
				},
			},
			async (request) => {
				const { api_key: apiKey, base_url: baseUrl } = request.body;
				const stored = await providerKeys.put(principalOf(request).userId, request.params.provider, {
					apiKey,
					baseUrl,
				});
				return representation(stored);
			},
		);

		app.delete(
			"/v1/users/me/provider-keys/:provider",
			{
				schema: {
					tags,
					summary: "Delete your key for a provider",
					description: "Your calls go back to the server's key (or are refused when the server has none).",
					params: providerParameters,
					response: { 204: noContent, ...problemResponses(400, 401, 404) },
				},
			},
			async (request, reply) => {
				await providerKeys.delete(principalOf(request).userId, request.params.provider);
				return reply.code(204).send(null);
			},
		);
	};
}
