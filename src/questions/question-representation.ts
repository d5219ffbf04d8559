import { citationToWire } from "../chat/grounding.js";
import type { QuestionRecord } from "../store/question-port.js";

const iso = (epochMilliseconds: number) => new Date(epochMilliseconds).toISOString();

/**
 * A question as clients see it, in the API and in live events alike: snake_case, ISO dates, the
 * answer with its usage and citations once answered, the error code once failed.
 */
export function questionRepresentation(question: QuestionRecord) {
	return {
		id: question.id,
		session_id: question.sessionId,
		question: question.question,
		status: question.status,
		model: question.model ?? question.requestedModel,
		rag: question.rag,
		answer: question.answer,
		interaction_id: question.interactionId,
		usage:
			question.usage === null
				? null
				: {
						prompt_tokens: question.usage.promptTokens,
						completion_tokens: question.usage.completionTokens,
						total_tokens: question.usage.totalTokens,
						estimated: question.usage.estimated,
					},
		citations: (question.citations ?? []).map(citationToWire),
		error:
			question.status === "failed" && question.errorCode !== null
				? { code: question.errorCode, message: question.errorDetail ?? question.errorCode }
				: null,
		attempts: question.attempts,
		dead_lettered: question.deadLetteredAt !== null,
		created_at: iso(question.createdAt),
		updated_at: iso(question.updatedAt),
		finished_at: question.finishedAt === null ? null : iso(question.finishedAt),
	};
}

export type QuestionRepresentation = ReturnType<typeof questionRepresentation>;
