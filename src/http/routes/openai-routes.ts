import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { CompletionBody, CompletionsService } from "../../chat/completions-service.js";
import type { ModelRouter } from "../../llm/model-router.js";
import { principalOf } from "../authentication.js";
import { createCompletionReplay } from "../completion-replay.js";
import { deferIdempotency } from "../idempotency.js";
import { routingHeaders } from "../routing-headers.js";
import { problemResponses } from "../schemas/common.js";
import { chatCompletionBody, chatCompletionResponse, modelListResponse } from "../schemas/openai-schemas.js";
import { eventStreamHeaders } from "../sse.js";

/** Listed models carry a fixed `created`: Parley does not know when a provider released a model. */
const modelsCreated = 1_700_000_000;

export function openAiRoutes(dependencies: {
	completions: CompletionsService;
	models: ModelRouter;
}): FastifyPluginAsyncZod {
	const { completions, models } = dependencies;
	return async (app) => {
		app.post(
			"/v1/chat/completions",
			{
				config: { openAiErrors: true, idempotent: true },
				schema: {
					tags: ["openai-compatible"],
					summary: "OpenAI-compatible Chat Completions (non-streaming and streaming)",
					description:
						"Use any OpenAI SDK with base URL `<parley>/v1` and a Parley API key or access token. Upstreams that speak " +
						"Chat Completions receive the request as sent (model rewritten to the upstream id) and their responses " +
						"stream back untouched; other providers are translated. `stream_options.include_usage` adds the usage chunk. " +
						"`models` (an ordered list of model ids, as OpenRouter's) names the models to try when one fails with a " +
						"provider-side error; `model`, when also given, goes first. Without `models`, the server's LLM_FALLBACKS follow " +
						"the requested model. A stream falls back only before its first token. Response headers `x-parley-model`, " +
						"`x-parley-attempts` and `x-parley-fallbacks` say which model answered, after how many attempts (retries and " +
						"fallbacks included) and after how many models failed.",
					body: chatCompletionBody,
					response: {
						200: chatCompletionResponse,
						...problemResponses(400, 401, 403, 409, 413, 415, 429, 502, 503, 504),
					},
				},
			},
			async (request, reply) => {
				const body = request.body as CompletionBody;
				const caller = { principal: principalOf(request), requestId: request.id };
				const chain = completions.resolve(body);
				if (body.stream !== true) {
					const result = await completions.json(caller, chain, body);
					const payload =
						typeof result.body === "string"
							? result.body
							: Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength);
					// Already-encoded JSON (the upstream's own bytes): Fastify sends strings and buffers as they are.
					return reply
						.headers(routingHeaders(result))
						.type("application/json")
						.send(payload as never);
				}
				const stream = await completions.stream(caller, chain, body);
				reply.hijack();
				const idempotency = deferIdempotency(request);
				const replay = idempotency && createCompletionReplay(body, stream.model);
				const raw = reply.raw;
				raw.writeHead(200, { ...eventStreamHeaders(request), ...routingHeaders(stream) });
				try {
					// Read to the end even when the client left: the call is recorded (and billed) when it ends.
					for await (const frame of stream.frames) {
						replay?.push(frame);
						if (!raw.destroyed) raw.write(frame);
					}
					const replayBody = replay?.result();
					await idempotency?.settle(
						replayBody === undefined ? undefined : { status: 200, body: replayBody, headers: routingHeaders(stream) },
					);
				} catch (error) {
					await idempotency?.settle(undefined);
					request.log.warn({ err: error }, "chat completion stream failed after it started");
					if (!raw.destroyed)
						raw.write(
							`data: ${JSON.stringify({ error: { message: "upstream stream failed", type: "api_error", code: "provider_error" } })}\n\n`,
						);
				} finally {
					raw.end();
				}
				return reply;
			},
		);

		app.get(
			"/v1/models",
			{
				config: { openAiErrors: true },
				schema: {
					tags: ["openai-compatible"],
					summary: "Models you can ask for (OpenAI format)",
					response: { 200: modelListResponse, ...problemResponses(401) },
				},
			},
			async () => ({
				object: "list" as const,
				data: models.listModels().map((model) => ({
					id: model.id,
					object: "model" as const,
					created: modelsCreated,
					owned_by: model.provider,
				})),
			}),
		);
	};
}
