import type { Logger } from "pino";
import type { Principal } from "../auth/principal.js";
import { chainCredentials } from "../chat/chain-credentials.js";
import { AppError, notFound } from "../errors.js";
import type { ModelRouter } from "../llm/model-router.js";
import type { ProviderCredentialSource } from "../provider-keys/provider-key-service.js";
import type { JobQueue } from "../queue/queue-port.js";
import { newId } from "../store/ids.js";
import type { PageRequest } from "../store/page.js";
import type { QuestionListRequest, QuestionRecord, QuestionRepository } from "../store/question-port.js";

export type QuestionService = ReturnType<typeof createQuestionService>;

export interface AskInput {
	question: string;
	sessionId?: string | undefined;
	model?: string | undefined;
	rag?: boolean | undefined;
}

/**
 * Async questions: stored as `pending`, then answered by a worker (question-worker.ts) that the
 * queue hands the question's id. The row is the truth; the job only says "look at this id".
 */
export function createQuestionService(options: {
	questions: QuestionRepository;
	queue: JobQueue;
	models: Pick<ModelRouter, "resolve">;
	/** Users' own provider keys: a model only they can reach needs theirs. */
	providerKeys?: ProviderCredentialSource | undefined;
	logger: Logger;
	now?: () => number;
}) {
	const { questions, queue, models, logger } = options;
	const now = options.now ?? Date.now;

	async function enqueue(question: QuestionRecord, jobId: string): Promise<void> {
		try {
			await queue.enqueue({ id: jobId, data: { questionId: question.id } });
		} catch (error) {
			logger.error({ err: error, question_id: question.id }, "question not enqueued");
			// Nothing may stay pending without a job that would ever answer it.
			await questions.fail(
				question.id,
				null,
				{ code: "queue_unavailable", detail: "the question could not be queued", deadLettered: false },
				now(),
			);
			throw new AppError("queue_unavailable", { detail: "the question could not be queued; try again", cause: error });
		}
	}

	return {
		async ask(principal: Principal, input: AskInput, requestId: string): Promise<QuestionRecord> {
			// An unknown model is the caller's mistake: say so now, not in a failed question later.
			if (input.model !== undefined) {
				const resolved = models.resolve(input.model);
				const lookup = options.providerKeys;
				await chainCredentials([resolved], lookup && ((model) => lookup.credentialsFor(principal.userId, model)));
			}
			const question = await questions.create({
				id: newId(),
				userId: principal.userId,
				sessionId: input.sessionId ?? newId(),
				question: input.question,
				requestedModel: input.model ?? null,
				rag: input.rag ?? true,
				requestId,
				createdAt: now(),
			});
			await enqueue(question, question.id);
			return question;
		},

		async get(userId: string, id: string): Promise<QuestionRecord> {
			const question = await questions.findById(userId, id);
			if (!question) throw notFound("question");
			return question;
		},

		list(userId: string, request: QuestionListRequest) {
			return questions.list(userId, request);
		},

		deadLettered(request: PageRequest) {
			return questions.listDeadLettered(request);
		},

		/** An admin sends a dead-lettered question through the queue again, with fresh attempts. */
		async retry(id: string): Promise<QuestionRecord> {
			const revived = await questions.revive(id, now());
			if (!revived) throw new AppError("not_found", { detail: "no dead-lettered question with this id" });
			// A new job id: the dead job may still be kept under the old one.
			await enqueue(revived, `${revived.id}.retry-${now()}`);
			return revived;
		},
	};
}
