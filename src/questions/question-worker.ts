import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { ChatService } from "../chat/chat-service.js";
import { isAppError } from "../errors.js";
import type { Notifier } from "../notify/notifier-port.js";
import type { Metrics } from "../observability/metrics.js";
import type { QueueJob } from "../queue/queue-port.js";
import type { QuestionRecord, QuestionRepository } from "../store/question-port.js";
import type { UserRepository } from "../store/store-port.js";
import { questionRepresentation } from "./question-representation.js";

/**
 * What a worker does with one question job. The question row decides everything: a delivery
 * first claims it under a fresh token, and only the holder of the current token may store an
 * outcome. A job redelivered after its worker died takes the claim over, so the stale delivery
 * (if it was not dead after all) finds its token gone and writes nothing: never answered twice.
 *
 * Failures the model path marks permanent (a rejected prompt, an unknown model) fail the question
 * at once; the rest go back to the queue, which retries with backoff. On the last attempt the
 * question fails and is dead-lettered for an admin to look at and retry.
 */
export function createQuestionWorker(options: {
	questions: QuestionRepository;
	users: UserRepository;
	chat: Pick<ChatService, "complete">;
	notifier: Notifier;
	metrics: Pick<Metrics, "questionJobs" | "questionJobDuration">;
	logger: Logger;
	now?: () => number;
}) {
	const { questions, users, chat, notifier, metrics, logger } = options;
	const now = options.now ?? Date.now;

	async function announce(question: QuestionRecord): Promise<void> {
		const type = question.status === "answered" ? "question-answered" : "question-failed";
		const outcome = question.status === "answered" ? "answered" : "failed";
		metrics.questionJobDuration.labels(outcome).observe((now() - question.createdAt) / 1000);
		// The outcome is stored: a notification that cannot be sent is logged, not retried.
		await notifier
			.publish(question.userId, type, { question: questionRepresentation(question) })
			.catch((error: unknown) => logger.warn({ err: error, question_id: question.id }, "notification not sent"));
	}

	async function fail(
		id: string,
		claimToken: string | null,
		failure: { code: string; detail: string; deadLettered: boolean },
	): Promise<void> {
		const failed = await questions.fail(id, claimToken, failure, now());
		if (!failed) return;
		metrics.questionJobs.labels(failure.deadLettered ? "dead_lettered" : "failed").inc();
		logger.warn(
			{ question_id: id, code: failure.code, attempts: failed.attempts, dead_lettered: failure.deadLettered },
			"question failed",
		);
		await announce(failed);
	}

	return {
		async handle(job: QueueJob): Promise<void> {
			const questionId = job.data.questionId;
			if (questionId === undefined) return;
			const claimToken = randomUUID();
			const question = await questions.claim(questionId, claimToken, now());
			if (!question) {
				metrics.questionJobs.labels("skipped").inc();
				return;
			}
			const user = await users.findById(question.userId);
			if (!user) {
				await fail(question.id, claimToken, {
					code: "not_found",
					detail: "the user no longer exists",
					deadLettered: false,
				});
				return;
			}
			try {
				const turn = await chat.complete({
					principal: {
						userId: user.id,
						email: user.email,
						username: user.username,
						roles: user.roles,
						method: "access-token",
						apiKeyId: null,
						mayActForOthers: false,
					},
					requestId: question.requestId ?? question.id,
					endpoint: "questions",
					prompt: question.question,
					model: question.requestedModel ?? undefined,
					rag: question.rag,
				});
				const answered = await questions.answer(
					question.id,
					claimToken,
					{
						model: turn.model,
						answer: turn.response,
						interactionId: turn.interactionId,
						usage: { ...turn.usage, estimated: turn.usageEstimated },
						citations: turn.citations,
					},
					now(),
				);
				if (!answered) {
					// Another delivery took the question over meanwhile; its outcome stands.
					metrics.questionJobs.labels("skipped").inc();
					return;
				}
				metrics.questionJobs.labels("answered").inc();
				await announce(answered);
			} catch (error) {
				const code = isAppError(error) ? error.code : "internal_error";
				const detail = isAppError(error) ? error.message : "the question could not be answered";
				const retryable = isAppError(error) ? error.isRetryable : true;
				if (!retryable || job.attempt >= job.maxAttempts) {
					await fail(question.id, claimToken, { code, detail, deadLettered: retryable });
					return;
				}
				if (!isAppError(error)) logger.error({ err: error, question_id: question.id }, "question attempt failed");
				await questions.release(question.id, claimToken, { code, detail }, now());
				metrics.questionJobs.labels("retried").inc();
				throw error;
			}
		},

		/** The queue gave up on a job without its handler finishing (its workers kept dying). */
		async onDeadLetter(job: QueueJob, reason: string): Promise<void> {
			const questionId = job.data.questionId;
			if (questionId === undefined) return;
			await fail(questionId, null, { code: "internal_error", detail: reason, deadLettered: true });
		},
	};
}
