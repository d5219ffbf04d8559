import { z } from "zod";
import { identifier, timestamp, usageSchema } from "./common.js";

/** 1 MiB of text is far past any model's window; the body limit stops larger bodies earlier. */
const prompt = z.string().min(1, "must not be empty").max(1_000_000);
/** Longest fallback list a request may give: each model may be retried, so every entry costs time. */
export const maximumRequestModels = 8;

/** A request's own fallback chain (OpenRouter's `models`). */
export const requestModels = z
	.array(z.string().trim().min(1, "must not be empty").max(200))
	.min(1)
	.max(maximumRequestModels)
	.optional()
	.describe(
		`Models to try in order (after \`model\`, when given) when one fails with a provider-side error; replaces the server's LLM_FALLBACKS. 1–${maximumRequestModels} ids`,
	);

/** Shared with /v1/chat/completions. */
export const responseCacheFlag = z
	.union([z.boolean(), z.literal("semantic")])
	.optional()
	.describe(
		"Response cache: absent caches only deterministic requests (temperature 0); true caches this one whatever the " +
			'temperature; "semantic" also answers from a cached similar question; false never uses the cache. X-Cache says HIT, SEMANTIC-HIT or MISS',
	);

const generationParameters = {
	model: z
		.string()
		.max(200)
		.optional()
		.transform((value) => (value === "" ? undefined : value))
		.describe('"provider/model" or the provider\'s own id; see GET /v1/models. Empty or absent: your default model'),
	models: requestModels,
	system: z.string().max(100_000).optional().describe("System prompt; kept for later turns of the conversation"),
	temperature: z.number().min(0).max(2).optional(),
	max_tokens: z.number().int().min(1).max(1_000_000).optional(),
	rag: z
		.boolean()
		.optional()
		.describe("Retrieve passages from your documents and shared collections (default true); false turns it off"),
	k: z.number().int().min(0).max(20).optional().describe("How many passages to retrieve (default RAG_TOP_K)"),
	collection: z.string().min(1).max(100).optional().describe("Retrieve only from this collection (yours or shared)"),
	cache: responseCacheFlag,
};

/** The generation fields of a chat, generate or prompts body, as the chat service takes them. */
export const generationOptions = (body: {
	model?: string | undefined;
	models?: string[] | undefined;
	system?: string | undefined;
	temperature?: number | undefined;
	max_tokens?: number | undefined;
	rag?: boolean | undefined;
	k?: number | undefined;
	collection?: string | undefined;
	cache?: boolean | "semantic" | undefined;
}) => ({
	model: body.model,
	models: body.models,
	system: body.system,
	temperature: body.temperature,
	maxTokens: body.max_tokens,
	rag: body.rag,
	k: body.k,
	collection: body.collection,
	cache: body.cache,
});

export const citationSchema = z.object({
	number: z.number().int().describe("The [n] marker in the answer"),
	document_id: z.string(),
	title: z.string(),
	chunk_id: z.string(),
	score: z.number(),
	snippet: z.string(),
});

export const chatBody = z
	.strictObject({
		prompt,
		conversation_id: identifier.optional(),
		chat_id: z.string().max(100).optional().describe('Alias of conversation_id; "" starts a new conversation'),
		...generationParameters,
		stream: z.boolean().optional().describe("Stream Server-Sent Events (also chosen by Accept: text/event-stream)"),
		userId: z
			.string()
			.min(1)
			.max(100)
			.optional()
			.describe("Optional. Must name the caller (else 403), unless the caller is a service key"),
	})
	.meta({
		examples: [
			{ prompt: "Hello! What can you do?" },
			{ prompt: "And in one sentence?", conversation_id: "0193a5c4-7b1e-7c2d-9f10-3e4d5a6b7c8d", stream: true },
			{ userId: "user123", prompt: "Olá!" },
			{ prompt: "Hello!", model: "openai/gpt-4o-mini", models: ["anthropic/claude-3-5-haiku-latest"] },
		],
	});

export const chatResponse = z.object({
	interaction_id: z.string(),
	conversation_id: z.string(),
	userId: z.string(),
	prompt: z.string(),
	response: z.string(),
	model: z.string(),
	usage: usageSchema,
	finish_reason: z.string(),
	latency_ms: z.number(),
	timestamp,
	citations: z.array(citationSchema),
});

export const generateBody = z
	.strictObject({ prompt, ...generationParameters })
	.meta({ examples: [{ prompt: "Como funciona RAG?" }] });

export const generateResponse = z.object({
	generated: z.string(),
	context: z.array(z.string()).describe("Retrieved passages used to answer"),
	user: z.object({ sub: z.string(), email: z.string().nullable(), "custom:roles": z.array(z.string()) }),
	request_id: z.string(),
	interaction_id: z.string(),
	model: z.string(),
	usage: usageSchema,
	citations: z.array(citationSchema),
});

export const messageSchema = z.object({
	role: z.enum(["user", "assistant"]),
	content: z.string(),
	interaction_id: z.string(),
	created_at: timestamp,
	model: z.string().optional(),
	usage: usageSchema.optional(),
	finish_reason: z.string().optional(),
	latency_ms: z.number().optional(),
	citations: z.array(citationSchema).optional(),
});

export const conversationSchema = z.object({
	id: z.string(),
	title: z.string(),
	model: z.string().nullable(),
	message_count: z.number().int(),
	usage: usageSchema,
	created_at: timestamp,
	updated_at: timestamp,
});

export const conversationDetailSchema = conversationSchema.extend({ messages: z.array(messageSchema) });

export const conversationListQuery = z.strictObject({
	limit: z.coerce.number().int().min(1).max(100).default(20),
	cursor: z.string().min(1).max(500).optional(),
	q: z.string().max(200).optional().describe("Only conversations whose title contains this (case-insensitive)"),
});

export const conversationPatchBody = z
	.strictObject({ title: z.string().trim().min(1).max(200) })
	.meta({ examples: [{ title: "Trip to Lisbon" }] });

export const historyItemSchema = z.object({
	citations: z.array(citationSchema),
	interaction_id: z.string(),
	conversation_id: z.string().nullable(),
	endpoint: z.string(),
	prompt: z.string(),
	response: z.string(),
	model: z.string(),
	usage: usageSchema,
	finish_reason: z.string(),
	latency_ms: z.number(),
	timestamp,
});
