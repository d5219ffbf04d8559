import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ChatService } from "../../chat/chat-service.js";
import type { PromptLog, SimilarPrompt } from "../../chat/prompt-log.js";
import type { Notifier } from "../../notify/notifier-port.js";
import { principalOf } from "../authentication.js";
import { citationRepresentation, usageOf } from "../representations.js";
import { citationSchema, generationOptions } from "../schemas/chat-schemas.js";
import { iso, problemResponses, timestamp, usageSchema } from "../schemas/common.js";

const promptBody = z
	.strictObject({
		prompt: z.string().min(1, "must not be empty").max(1_000_000),
		websocket: z
			.boolean()
			.optional()
			.describe(
				"Also deliver the answer as a `prompt-message` event on your live channel (GET /v1/ws, GET /v1/events)",
			),
		model: z.string().max(200).optional(),
		rag: z.boolean().optional(),
		k: z.number().int().min(0).max(20).optional(),
		collection: z.string().min(1).max(100).optional(),
	})
	.meta({ examples: [{ prompt: "hola mundo", websocket: false }] });

const promptResponse = z.object({
	id: z.string().describe("The interaction id of this prompt"),
	prompt: z.string(),
	response: z.string(),
	model: z.string(),
	usage: usageSchema,
	citations: z.array(citationSchema),
	websocket: z.boolean(),
	created_at: timestamp,
});

const similarQuery = z.strictObject({
	q: z.string().min(1).max(2000),
	k: z.coerce.number().int().min(1).max(50).default(5),
});

const similarResponse = z.object({
	data: z.array(
		z.object({
			id: z.string(),
			prompt: z.string(),
			response: z.string(),
			score: z.number().describe("Hybrid (keyword + vector) relevance; comparable within one answer"),
			created_at: timestamp,
		}),
	),
});

const similarRepresentation = ({ interaction, score }: SimilarPrompt) => ({
	id: interaction.id,
	prompt: interaction.prompt,
	response: interaction.response,
	score,
	created_at: iso(interaction.createdAt),
});

export function promptRoutes(dependencies: {
	chat: ChatService;
	prompts: PromptLog;
	notifier: Notifier;
}): FastifyPluginAsyncZod {
	const { chat, prompts, notifier } = dependencies;
	return async (app) => {
		app.post(
			"/v1/prompts",
			{
				config: { idempotent: true },
				schema: {
					tags: ["prompts"],
					summary: "Ask a question and log the prompt (Prompt Service)",
					description:
						"Answers like /v1/generate and records the prompt so that GET /v1/prompts/similar can find it. " +
						"With `websocket: true` the answer is also sent as a `prompt-message` event to your live connections " +
						"(GET /v1/ws, GET /v1/events).",
					body: promptBody,
					response: { 201: promptResponse, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429, 502, 503, 504) },
				},
			},
			async (request, reply) => {
				const principal = principalOf(request);
				const body = request.body;
				const turn = await chat.complete({
					principal,
					requestId: request.id,
					endpoint: "prompts",
					prompt: body.prompt,
					...generationOptions(body),
				});
				await prompts.add(principal, { id: turn.interactionId, prompt: turn.prompt, endpoint: "prompts" });
				const representation = {
					id: turn.interactionId,
					prompt: turn.prompt,
					response: turn.response,
					model: turn.model,
					usage: usageOf(turn.usage, turn.usageEstimated, turn.costMicroUsd),
					citations: turn.citations.map(citationRepresentation),
					websocket: body.websocket ?? false,
					created_at: iso(turn.createdAt),
				};
				if (body.websocket) {
					// The answer is already stored and returned; a live channel that is down must not fail the request.
					await notifier
						.publish(principal.userId, "prompt-message", { prompt: representation })
						.catch((error: unknown) => request.log.warn({ err: error }, "prompt-message not sent"));
				}
				return reply.code(201).send(representation);
			},
		);

		const similar = {
			schema: {
				tags: ["prompts"],
				summary: "Your earlier prompts most similar to q (hybrid keyword + vector search)",
				querystring: similarQuery,
				response: { 200: similarResponse, ...problemResponses(400, 401) },
			},
		};
		app.get("/v1/prompts/similar", similar, async (request) => ({
			data: (await prompts.similar(principalOf(request), request.query.q, request.query.k)).map(similarRepresentation),
		}));
		app.get(
			"/v1/history/search",
			{ schema: { ...similar.schema, summary: "Search your logged prompts (alias of /v1/prompts/similar)" } },
			async (request) => ({
				data: (await prompts.similar(principalOf(request), request.query.q, request.query.k)).map(
					similarRepresentation,
				),
			}),
		);
	};
}
