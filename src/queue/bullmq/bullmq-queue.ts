import { type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { withinMs } from "../../redis/redis-timeout.js";
import type { JobQueue, QueueJob, QueueSettings, QueueWorkerOptions } from "../queue-port.js";

/** An enqueue or a count that takes longer fails (Redis down) instead of holding its request. */
const commandTimeoutMs = 3000;

/**
 * BullMQ on Redis. API processes only enqueue (unless WORKER_IN_PROCESS); `parley worker`
 * processes run the handler. Keys live under `<REDIS_KEY_PREFIX>bullmq`, so deployments that
 * share a Redis never see each other's jobs.
 *
 * BullMQ redelivers the job of a worker that died (its lock expires; the stalled check moves it
 * back to waiting) and counts every start in `attemptsStarted`; a job started more often than
 * it may be attempted is dead-lettered before its handler runs, so a job that kills its worker
 * cannot kill workers forever.
 */
export function createBullmqQueue(options: {
	url: string;
	keyPrefix: string;
	queue: string;
	settings: QueueSettings;
	logger: Logger;
}): JobQueue {
	const { settings, logger } = options;
	const prefix = `${options.keyPrefix}bullmq`;
	// BullMQ's blocking commands need connections that wait for Redis instead of failing fast.
	const connect = () => new Redis(options.url, { maxRetriesPerRequest: null });
	// ioredis reports every failed reconnect; one line per 10 s is enough to notice.
	let lastWarnedAt = 0;
	const warn = (message: string) => (error: Error) => {
		if (Date.now() - lastWarnedAt < 10_000) return;
		lastWarnedAt = Date.now();
		logger.warn({ err: error }, message);
	};
	const queueConnection = connect();
	queueConnection.on("error", warn("bullmq queue connection error"));
	const queue = new Queue(options.queue, { connection: queueConnection, prefix });
	queue.on("error", warn("bullmq queue error"));
	let worker: Worker | undefined;
	let workerConnection: Redis | undefined;

	const toQueueJob = (job: Job): QueueJob => ({
		id: job.id ?? "",
		data: job.data as Record<string, string>,
		attempt: Math.max(job.attemptsStarted, job.attemptsMade + 1),
		maxAttempts: settings.maxAttempts,
	});

	return {
		backend: "bullmq",
		async enqueue(job) {
			const adding = queue.add(options.queue, job.data, {
				jobId: job.id,
				attempts: settings.maxAttempts,
				backoff: { type: "exponential", delay: settings.backoffMs },
				// Finished jobs live on in the store; Redis keeps only what is still to do.
				removeOnComplete: true,
				removeOnFail: { count: 1000 },
			});
			// Should Redis answer after the timeout, the question is already failed: the worker's claim
			// then finds nothing to do.
			adding.catch(() => undefined);
			await withinMs(adding, commandTimeoutMs, "enqueue");
		},

		startWorker(handlers: QueueWorkerOptions) {
			if (worker) throw new Error("the BullMQ worker is already started");
			workerConnection = connect();
			workerConnection.on("error", warn("bullmq worker connection error"));
			worker = new Worker(
				options.queue,
				async (job: Job) => {
					const queueJob = toQueueJob(job);
					if (queueJob.attempt > settings.maxAttempts) {
						const reason = `gave up after ${queueJob.attempt - 1} deliveries that never finished`;
						await handlers.onDeadLetter(queueJob, reason);
						throw new UnrecoverableError(reason);
					}
					try {
						await handlers.handler(queueJob);
					} catch (error) {
						if (queueJob.attempt >= settings.maxAttempts) {
							await handlers.onDeadLetter(queueJob, error instanceof Error ? error.message : String(error));
						}
						throw error;
					}
				},
				{
					connection: workerConnection,
					prefix,
					concurrency: handlers.concurrency,
					lockDuration: settings.leaseMs,
					stalledInterval: settings.leaseMs,
					// Redelivery limits are ours (above); BullMQ's own would fail the job silently.
					maxStalledCount: settings.maxAttempts + 1,
				},
			);
			worker.on("error", warn("bullmq worker error"));
		},

		async counts() {
			const counts = await withinMs(
				queue.getJobCounts("waiting", "delayed", "prioritized", "active", "failed"),
				commandTimeoutMs,
				"count jobs",
			);
			return {
				waiting: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
				active: counts.active ?? 0,
				deadLettered: counts.failed ?? 0,
			};
		},

		async close() {
			// Running jobs may finish; a Redis that is down must not keep the process from exiting.
			await withinMs(
				(async () => {
					await worker?.close();
					await queue.close();
				})(),
				worker ? settings.leaseMs + commandTimeoutMs : commandTimeoutMs,
				"close the queue",
			).catch((error: unknown) => logger.warn({ err: error }, "queue not closed cleanly"));
			for (const connection of [workerConnection, queueConnection]) {
				if (connection)
					await withinMs(connection.quit(), commandTimeoutMs, "quit").catch(() => connection.disconnect());
			}
		},
	};
}
