/**
 * The job queue port: enqueue by id, and (in a worker) run a handler per job with retries,
 * exponential backoff, redelivery of jobs whose worker died, and a dead letter for jobs that
 * never succeed. Adapters: queue/embedded (jobs in the database, worker in the API process),
 * queue/bullmq (Redis) and queue/sqs (Amazon SQS). The first two pass
 * test/contract/queue.contract.ts; SQS is checked against recorded SQS exchanges.
 *
 * Delivery is at least once: a handler must tolerate seeing a job again (the question worker
 * guards its writes with a claim token, so a redelivered job never answers twice).
 */

export interface QueueJob {
	id: string;
	/** Ids only; the handler reads state from the store. */
	data: Record<string, string>;
	/** 1 for the first delivery. */
	attempt: number;
	maxAttempts: number;
}

/** Throwing retries the job later (or dead-letters it after its last attempt). */
export type JobHandler = (job: QueueJob) => Promise<void>;

export interface QueueWorkerOptions {
	handler: JobHandler;
	/** Jobs run at once by this process. */
	concurrency: number;
	/**
	 * The queue gave up on a job: its handler failed on the last attempt, or the workers holding
	 * it kept dying. Called at least once per dead job.
	 */
	onDeadLetter(job: QueueJob, reason: string): Promise<void>;
}

export interface QueueSettings {
	/** Deliveries per job, the first included. */
	maxAttempts: number;
	/** First retry delay; doubles with every attempt. */
	backoffMs: number;
	/** A delivery holds its job this long, renewed while it runs; a dead worker's job is redelivered after it. */
	leaseMs: number;
}

export interface QueueCounts {
	waiting: number;
	active: number;
	deadLettered: number;
}

export interface JobQueue {
	readonly backend: "embedded" | "bullmq" | "sqs";
	/** Adds a job; one already queued under `id` is not added again. */
	enqueue(job: { id: string; data: Record<string, string> }): Promise<void>;
	/** Starts taking jobs in this process. Call once. */
	startWorker(options: QueueWorkerOptions): void;
	counts(): Promise<QueueCounts>;
	/** Stops taking jobs, waits for running ones, and releases connections. */
	close(): Promise<void>;
}

/** Delay before the retry that follows attempt `attempt` (1-based). */
export const backoffDelay = (settings: Pick<QueueSettings, "backoffMs">, attempt: number) =>
	settings.backoffMs * 2 ** (attempt - 1);
