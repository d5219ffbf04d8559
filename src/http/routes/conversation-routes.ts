import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ConversationService } from "../../chat/conversation-service.js";
import { principalOf } from "../authentication.js";
import { conversationRepresentation, historyItemRepresentation, messagesOf } from "../representations.js";
import {
	conversationDetailSchema,
	conversationListQuery,
	conversationPatchBody,
	conversationSchema,
	historyItemSchema,
} from "../schemas/chat-schemas.js";
import { identifier, idParameters, noContent, pageQuery, problemResponses } from "../schemas/common.js";

export function conversationRoutes(dependencies: { conversations: ConversationService }): FastifyPluginAsyncZod {
	const { conversations } = dependencies;
	return async (app) => {
		const detail = async (userId: string, conversationId: string) => {
			const { conversation, turns } = await conversations.get(userId, conversationId);
			return { ...conversationRepresentation(conversation), messages: turns.flatMap(messagesOf) };
		};
		const detailResponses = { 200: conversationDetailSchema, ...problemResponses(400, 401, 404) };

		app.get(
			"/v1/conversations",
			{
				schema: {
					tags: ["conversations"],
					summary: "Your conversations, most recently active first",
					querystring: conversationListQuery,
					response: {
						200: z.object({ data: z.array(conversationSchema), next_cursor: z.string().nullable() }),
						...problemResponses(400, 401),
					},
				},
			},
			async (request) => {
				const { limit, cursor, q } = request.query;
				const page = await conversations.list(principalOf(request).userId, { limit, cursor, titleContains: q });
				return { data: page.items.map(conversationRepresentation), next_cursor: page.nextCursor };
			},
		);

		app.get(
			"/v1/conversations/:id",
			{
				schema: {
					tags: ["conversations"],
					summary: "A conversation with its messages and token totals",
					params: idParameters,
					response: detailResponses,
				},
			},
			async (request) => detail(principalOf(request).userId, request.params.id),
		);

		app.get(
			"/v1/chat",
			{
				schema: {
					tags: ["conversations"],
					summary: "A conversation with its messages and token totals (alias: ?chat_id=)",
					querystring: z.strictObject({ chat_id: identifier }),
					response: detailResponses,
				},
			},
			async (request) => detail(principalOf(request).userId, request.query.chat_id),
		);

		app.patch(
			"/v1/conversations/:id",
			{
				schema: {
					tags: ["conversations"],
					summary: "Rename a conversation",
					params: idParameters,
					body: conversationPatchBody,
					response: { 200: conversationSchema, ...problemResponses(400, 401, 404) },
				},
			},
			async (request) =>
				conversationRepresentation(
					await conversations.rename(principalOf(request).userId, request.params.id, request.body.title),
				),
		);

		app.delete(
			"/v1/conversations/:id",
			{
				schema: {
					tags: ["conversations"],
					summary: "Delete a conversation and all its messages",
					params: idParameters,
					response: { 204: noContent, ...problemResponses(401, 404) },
				},
			},
			async (request, reply) => {
				await conversations.delete(principalOf(request).userId, request.params.id);
				return reply.code(204).send(null);
			},
		);

		app.get(
			"/v1/history",
			{
				schema: {
					tags: ["conversations"],
					summary: "Everything you asked any model, newest first",
					description: "Every interaction (chat, generate, prompts, chat/completions) with its usage.",
					querystring: pageQuery,
					response: {
						200: z.object({ data: z.array(historyItemSchema), next_cursor: z.string().nullable() }),
						...problemResponses(400, 401),
					},
				},
			},
			async (request) => {
				const page = await conversations.history(principalOf(request).userId, request.query);
				return { data: page.items.map(historyItemRepresentation), next_cursor: page.nextCursor };
			},
		);
	};
}
