import { z } from "zod";
import { questionStatuses } from "../../store/question-port.js";
import { citationSchema } from "./chat-schemas.js";
import { identifier, pageQuery, timestamp } from "./common.js";

export const askBody = z
	.strictObject({
		question: z.string().trim().min(1, "must not be empty").max(100_000),
		session_id: identifier
			.regex(/^[A-Za-z0-9._:-]+$/, "letters, digits, '.', '_', ':' and '-' only")
			.optional()
			.describe("Groups questions (the Desafio Toro session); a new one is made when absent"),
		model: z.string().max(200).optional().describe("Public model id; default: your default model"),
		rag: z.boolean().optional().describe("Ground the answer on your documents (default true)"),
	})
	.meta({ examples: [{ question: "O que é renda fixa?", session_id: "sessao-1" }] });

export const acceptedQuestionSchema = z.object({
	id: z.string(),
	session_id: z.string(),
	status: z.literal("pending"),
	created_at: timestamp,
});

export const questionSchema = z.object({
	id: z.string(),
	session_id: z.string(),
	question: z.string(),
	status: z.enum(questionStatuses),
	model: z.string().nullable().describe("The model that answered (or the one asked for, until then)"),
	rag: z.boolean(),
	answer: z.string().nullable(),
	interaction_id: z.string().nullable().describe("The answer's entry in GET /v1/history"),
	usage: z
		.object({
			prompt_tokens: z.number().int(),
			completion_tokens: z.number().int(),
			total_tokens: z.number().int(),
			estimated: z.boolean(),
		})
		.nullable(),
	citations: z.array(citationSchema),
	error: z.object({ code: z.string(), message: z.string() }).nullable().describe("Set when status is failed"),
	attempts: z.number().int().describe("Deliveries to a worker so far"),
	dead_lettered: z.boolean().describe("Failed after every retry; an admin may retry it"),
	created_at: timestamp,
	updated_at: timestamp,
	finished_at: timestamp.nullable(),
});

export const questionListQuery = pageQuery.extend({
	session_id: identifier.optional(),
	status: z.enum(questionStatuses).optional(),
});

export const questionPageSchema = z.object({ data: z.array(questionSchema), next_cursor: z.string().nullable() });
