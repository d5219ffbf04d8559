import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { ChatRequest, ChatService } from "../../chat/chat-service.js";
import type { UserService } from "../../users/user-service.js";
import { actingPrincipal, principalOf } from "../authentication.js";
import { toAppError } from "../error-handler.js";
import { deferIdempotency } from "../idempotency.js";
import { toProblem } from "../problem.js";
import { chatTurnRepresentation, citationRepresentation, usageOf } from "../representations.js";
import { routingHeaders } from "../routing-headers.js";
import { chatBody, chatResponse, generateBody, generateResponse, generationOptions } from "../schemas/chat-schemas.js";
import { problemResponses } from "../schemas/common.js";
import { openEventStream, wantsEventStream } from "../sse.js";

const streamDescription =
	"With `stream: true` or `Accept: text/event-stream` the answer arrives as Server-Sent Events: `message-start` " +
	"{interaction_id, conversation_id, model, citations}, `text-delta` {delta}…, then `message-end` (the same body as the " +
	"non-streaming response) or `error` (a problem document). The turn is stored complete even if the client disconnects.";

const fallbackDescription =
	"`models` lists models to try in order when one fails with a provider-side error (after its retries); `model`, when " +
	"also given, goes first. Without `models`, the server's LLM_FALLBACKS follow the requested model. A stream falls back " +
	"only before its first token. `model` in the response and the `x-parley-model`, `x-parley-attempts` and " +
	"`x-parley-fallbacks` headers say which model answered and what it took.";

export function chatRoutes(dependencies: { chat: ChatService; users: UserService }): FastifyPluginAsyncZod {
	const { chat, users } = dependencies;
	return async (app) => {
		app.post(
			"/v1/chat",
			{
				config: { delegatedUser: true, idempotent: true },
				schema: {
					tags: ["chat"],
					summary: "Send a prompt in a conversation",
					description: `Creates the conversation when no conversation_id is given; otherwise its history (trimmed to the model's context window) goes to the model. ${streamDescription} ${fallbackDescription}`,
					body: chatBody,
					response: { 200: chatResponse, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429, 502, 503, 504) },
				},
			},
			async (request, reply) => {
				const body = request.body;
				const principal = await actingPrincipal(request, body.userId, users);
				const chatRequest: ChatRequest = {
					principal,
					requestId: request.id,
					endpoint: "chat",
					prompt: body.prompt,
					conversationId: body.conversation_id ?? (body.chat_id || undefined),
					...generationOptions(body),
				};
				if (!wantsEventStream(request, body.stream)) {
					const turn = await chat.complete(chatRequest);
					reply.headers(routingHeaders(turn));
					return chatTurnRepresentation(turn, principal.userId);
				}
				return streamChat(request, reply, chat, chatRequest);
			},
		);

		app.post(
			"/v1/generate",
			{
				config: { idempotent: true },
				schema: {
					tags: ["chat"],
					summary: "Single-turn generation",
					description: `Answers one prompt without a conversation. \`context\` lists the retrieved passages used. ${fallbackDescription}`,
					body: generateBody,
					response: { 200: generateResponse, ...problemResponses(400, 401, 403, 409, 413, 415, 429, 502, 503, 504) },
				},
			},
			async (request, reply) => {
				const principal = principalOf(request);
				const body = request.body;
				const turn = await chat.complete({
					principal,
					requestId: request.id,
					endpoint: "generate",
					prompt: body.prompt,
					...generationOptions(body),
				});
				reply.headers(routingHeaders(turn));
				return {
					generated: turn.response,
					context: turn.passages,
					user: { sub: principal.userId, email: principal.email, "custom:roles": principal.roles },
					request_id: request.id,
					interaction_id: turn.interactionId,
					model: turn.model,
					usage: usageOf(turn.usage, turn.usageEstimated, turn.costMicroUsd),
					citations: turn.citations.map(citationRepresentation),
				};
			},
		);
	};
}

async function streamChat(request: FastifyRequest, reply: FastifyReply, chat: ChatService, chatRequest: ChatRequest) {
	// Resolves once a model's answer has begun: failures before it (providers down, circuits open,
	// fallbacks exhausted) still get their proper status as a problem document.
	const stream = await chat.stream(chatRequest);
	const deltas = stream.deltas[Symbol.asyncIterator]();
	const first = await deltas.next();
	const events = openEventStream(request, reply, routingHeaders(stream));
	const idempotency = deferIdempotency(request);
	const userId = chatRequest.principal.userId;
	try {
		events.send("message-start", {
			interaction_id: stream.interactionId,
			conversation_id: stream.conversationId,
			model: stream.model,
			userId,
			citations: stream.citations.map(citationRepresentation),
		});
		if (!first.done) events.send("text-delta", { delta: first.value });
		for (let next = await deltas.next(); !next.done; next = await deltas.next()) {
			events.send("text-delta", { delta: next.value });
		}
		const final = chatTurnRepresentation(await stream.completion, userId);
		events.send("message-end", final);
		// A repeat of this request with its Idempotency-Key gets the final message as plain JSON.
		await idempotency?.settle({ status: 200, body: JSON.stringify(final) });
	} catch (error) {
		await idempotency?.settle(undefined);
		const appError = toAppError(error as Parameters<typeof toAppError>[0], request);
		if (appError.status >= 500) request.log.error({ err: error, code: appError.code }, "chat stream failed");
		events.send("error", toProblem(appError, request));
	} finally {
		events.end();
	}
	return reply;
}
