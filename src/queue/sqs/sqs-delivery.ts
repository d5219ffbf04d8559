import type { JobHandler, QueueJob, QueueSettings, QueueWorkerOptions } from "../queue-port.js";
import { backoffDelay } from "../queue-port.js";

/**
 * One delivery of an SQS message to a job handler, shared by the long-polling worker
 * (`parley worker` with QUEUE_BACKEND=sqs) and the SQS-triggered worker Lambda. The attempt is
 * SQS's ApproximateReceiveCount. Outcomes:
 * - "done": handled, or given up after the last attempt (onDeadLetter marked the question
 *   failed and dead-lettered in the store, where admins retry it) — delete the message;
 * - "retry": failed with attempts left — leave it, made visible again after the backoff.
 * Parley dead-letters in its own store rather than through SQS's redrive so that a question and
 * its job never disagree; the queue's redrive policy (maxReceiveCount above QUESTION_MAX_ATTEMPTS)
 * only catches messages whose workers kept dying before reaching this code.
 */

export interface SqsMessageBody {
	id: string;
	data: Record<string, string>;
}

export type DeliveryOutcome = { outcome: "done" } | { outcome: "retry"; visibleAfterSeconds: number };

export function parseMessageBody(body: string): SqsMessageBody | undefined {
	try {
		const parsed = JSON.parse(body) as unknown;
		if (typeof parsed !== "object" || parsed === null) return undefined;
		const { id, data } = parsed as Record<string, unknown>;
		if (typeof id !== "string" || typeof data !== "object" || data === null) return undefined;
		const entries = Object.entries(data as Record<string, unknown>);
		if (!entries.every(([, value]) => typeof value === "string")) return undefined;
		return { id, data: Object.fromEntries(entries) as Record<string, string> };
	} catch {
		return undefined;
	}
}

export async function deliver(
	message: { body: string; receiveCount: number },
	worker: { handler: JobHandler; onDeadLetter: QueueWorkerOptions["onDeadLetter"] },
	settings: Pick<QueueSettings, "maxAttempts" | "backoffMs">,
): Promise<DeliveryOutcome> {
	const parsed = parseMessageBody(message.body);
	// Not one of ours (or truncated): retrying cannot help.
	if (parsed === undefined) return { outcome: "done" };
	const job: QueueJob = { ...parsed, attempt: Math.max(1, message.receiveCount), maxAttempts: settings.maxAttempts };
	if (job.attempt > settings.maxAttempts) {
		await worker.onDeadLetter(job, `gave up after ${job.attempt - 1} deliveries that never finished`);
		return { outcome: "done" };
	}
	try {
		await worker.handler(job);
		return { outcome: "done" };
	} catch (error) {
		const reason = error instanceof Error ? error.message : String(error);
		if (job.attempt >= settings.maxAttempts) {
			await worker.onDeadLetter(job, reason);
			return { outcome: "done" };
		}
		return { outcome: "retry", visibleAfterSeconds: Math.ceil(backoffDelay(settings, job.attempt) / 1000) };
	}
}
