import { z } from "zod";
import { requestModels, responseCacheFlag } from "./chat-schemas.js";

const contentPart = z.looseObject({ type: z.string().min(1) });

const completionMessage = z.looseObject({
	role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
	content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
	name: z.string().max(256).optional(),
});

/**
 * Chat Completions request. The fields Parley reads are validated; the rest (tools,
 * response_format, logprobs, provider-specific extensions…) are forwarded untouched to upstreams
 * that speak Chat Completions, as OpenAI-compatible gateways do.
 */
export const chatCompletionBody = z
	.looseObject({
		model: z.string().min(1).max(200).optional().describe("Omit for the default model; see GET /v1/models"),
		models: requestModels,
		messages: z.array(completionMessage).min(1).max(10_000),
		stream: z.boolean().optional(),
		stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
		temperature: z.number().min(0).max(2).nullish(),
		top_p: z.number().min(0).max(1).nullish(),
		max_tokens: z.number().int().min(1).max(1_000_000).nullish(),
		max_completion_tokens: z.number().int().min(1).max(1_000_000).nullish(),
		n: z.number().int().min(1).max(128).nullish(),
		stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
		seed: z.number().int().nullish(),
		user: z.string().max(256).optional(),
		rag: z
			.boolean()
			.optional()
			.describe(
				"Parley extension, not forwarded: ground the answer on passages from your documents and shared collections; " +
					"the response then carries `citations` (in a last chunk before [DONE] when streaming)",
			),
		k: z.number().int().min(0).max(20).optional().describe("Parley extension: passages to retrieve with rag"),
		collection: z.string().min(1).max(100).optional().describe("Parley extension: retrieve only from this collection"),
		cache: responseCacheFlag.describe(
			"Parley extension (non-streaming requests): the response cache, as on /v1/chat. Temperature 0 is cached by default",
		),
	})
	.meta({
		examples: [
			{ model: "mock/parley-mock-1", messages: [{ role: "user", content: "Hello" }] },
			{
				model: "openai/gpt-4o-mini",
				messages: [
					{ role: "system", content: "Be brief." },
					{ role: "user", content: "Hello" },
				],
				stream: true,
				stream_options: { include_usage: true },
			},
			{
				models: ["openai/gpt-4o-mini", "openrouter/meta-llama/llama-3.1-8b-instruct"],
				messages: [{ role: "user", content: "Hello" }],
			},
		],
	});

export const chatCompletionResponse = z
	.looseObject({
		id: z.string(),
		object: z.literal("chat.completion"),
		created: z.number(),
		model: z.string(),
		choices: z.array(
			z.looseObject({ index: z.number(), message: z.looseObject({}), finish_reason: z.string().nullable() }),
		),
		usage: z
			.looseObject({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() })
			.optional(),
	})
	.describe(
		"OpenAI chat.completion; with stream=true, chat.completion.chunk Server-Sent Events ending in data: [DONE]",
	);

export const modelListResponse = z.object({
	object: z.literal("list"),
	data: z.array(z.object({ id: z.string(), object: z.literal("model"), created: z.number(), owned_by: z.string() })),
});
