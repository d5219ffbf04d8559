import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { questionRepresentation } from "../../questions/question-representation.js";
import type { QuestionService } from "../../questions/question-service.js";
import { principalOf } from "../authentication.js";
import { identifier, idParameters, iso, pageQuery, problemResponses } from "../schemas/common.js";
import {
	acceptedQuestionSchema,
	askBody,
	questionListQuery,
	questionPageSchema,
	questionSchema,
} from "../schemas/question-schemas.js";

const pageOf = (page: { items: Parameters<typeof questionRepresentation>[0][]; nextCursor: string | null }) => ({
	data: page.items.map(questionRepresentation),
	next_cursor: page.nextCursor,
});

export function questionRoutes(dependencies: { questions: QuestionService }): FastifyPluginAsyncZod {
	const { questions } = dependencies;
	return async (app) => {
		app.post(
			"/v1/questions",
			{
				config: { idempotent: true },
				schema: {
					tags: ["questions"],
					summary: "Ask a question to be answered in the background (Desafio Toro)",
					description:
						"Stores the question as `pending` and queues it; 202 with a Location to poll. A worker answers it " +
						"with the same RAG and memory as chat (`processing`, then `answered` with usage and citations, or " +
						"`failed` with an error code after retries). Live: `question-answered` / `question-failed` on " +
						"GET /v1/ws and GET /v1/events. Honours Idempotency-Key: a repeat returns the same question.",
					body: askBody,
					response: { 202: acceptedQuestionSchema, ...problemResponses(400, 401, 409, 415, 422, 503) },
				},
			},
			async (request, reply) => {
				const body = request.body;
				const question = await questions.ask(
					principalOf(request),
					{ question: body.question, sessionId: body.session_id, model: body.model, rag: body.rag },
					request.id,
				);
				return reply
					.code(202)
					.header("location", `/v1/questions/${question.id}`)
					.send({
						id: question.id,
						session_id: question.sessionId,
						status: "pending" as const,
						created_at: iso(question.createdAt),
					});
			},
		);

		app.get(
			"/v1/questions",
			{
				schema: {
					tags: ["questions"],
					summary: "Your questions, newest first; filter by session_id and status",
					querystring: questionListQuery,
					response: { 200: questionPageSchema, ...problemResponses(400, 401) },
				},
			},
			async (request) => {
				const { limit, cursor, session_id: sessionId, status } = request.query;
				return pageOf(await questions.list(principalOf(request).userId, { limit, cursor, sessionId, status }));
			},
		);

		app.get(
			"/v1/questions/session/:session_id",
			{
				schema: {
					tags: ["questions"],
					summary: "Your questions of one session, newest first (Desafio Toro's route)",
					params: z.strictObject({ session_id: identifier }),
					querystring: pageQuery,
					response: { 200: questionPageSchema, ...problemResponses(400, 401) },
				},
			},
			async (request) => {
				const { limit, cursor } = request.query;
				return pageOf(
					await questions.list(principalOf(request).userId, {
						limit,
						cursor,
						sessionId: request.params.session_id,
					}),
				);
			},
		);

		app.get(
			"/v1/questions/:id",
			{
				schema: {
					tags: ["questions"],
					summary: "One of your questions, with its answer once answered",
					params: idParameters,
					response: { 200: questionSchema, ...problemResponses(400, 401, 404) },
				},
			},
			async (request) => questionRepresentation(await questions.get(principalOf(request).userId, request.params.id)),
		);

		const admin = { access: "admin" as const };
		app.get(
			"/v1/admin/questions/dead-letter",
			{
				config: admin,
				schema: {
					tags: ["questions"],
					summary: "Every user's dead-lettered questions (admins only)",
					description: "Questions that failed after every retry, most recently dead-lettered first.",
					querystring: pageQuery,
					response: {
						200: questionPageSchema.extend({ data: z.array(questionSchema.extend({ user_id: z.string() })) }),
						...problemResponses(400, 401, 403),
					},
				},
			},
			async (request) => {
				const page = await questions.deadLettered(request.query);
				return {
					data: page.items.map((question) => ({ ...questionRepresentation(question), user_id: question.userId })),
					next_cursor: page.nextCursor,
				};
			},
		);

		app.post(
			"/v1/admin/questions/:id/retry",
			{
				config: admin,
				schema: {
					tags: ["questions"],
					summary: "Send a dead-lettered question through the queue again (admins only)",
					params: idParameters,
					response: { 202: questionSchema, ...problemResponses(400, 401, 403, 404, 503) },
				},
			},
			async (request, reply) => reply.code(202).send(questionRepresentation(await questions.retry(request.params.id))),
		);
	};
}
