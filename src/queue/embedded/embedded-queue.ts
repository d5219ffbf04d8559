import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { JobRecord, JobRepository } from "../../store/question-port.js";
import {
	backoffDelay,
	type JobQueue,
	type QueueJob,
	type QueueSettings,
	type QueueWorkerOptions,
} from "../queue-port.js";

/** How often an idle worker looks for due jobs anyway (another process may have added some). */
const idlePollMs = 500;

/**
 * The embedded queue: jobs are rows of the store's `jobs` table, so they survive a restart, and
 * the worker is a loop inside the API process. A delivery leases its job and renews the lease
 * while the handler runs; a process that dies (even by SIGKILL) stops renewing, and the job is
 * taken again once the lease runs out — by this process after a restart, or by another.
 */
export function createEmbeddedQueue(options: {
	jobs: JobRepository;
	queue: string;
	settings: QueueSettings;
	logger: Logger;
	now?: () => number;
}): JobQueue {
	const { jobs, queue, settings, logger } = options;
	const now = options.now ?? Date.now;
	const running = new Set<Promise<void>>();
	let worker: QueueWorkerOptions | undefined;
	let closed = false;
	let timer: NodeJS.Timeout | undefined;
	let wake: (() => void) | undefined;

	const toQueueJob = (job: JobRecord): QueueJob => ({
		id: job.id,
		data: job.data,
		attempt: job.attempts,
		maxAttempts: job.maxAttempts,
	});

	async function deliver(job: JobRecord, handlers: QueueWorkerOptions): Promise<void> {
		const leaseToken = job.leaseToken!;
		const renew = setInterval(
			() => {
				jobs.extend(job.id, leaseToken, now() + settings.leaseMs).catch((error: unknown) => {
					logger.warn({ err: error, job_id: job.id }, "job lease not renewed");
				});
			},
			Math.max(50, Math.floor(settings.leaseMs / 3)),
		);
		try {
			await handlers.handler(toQueueJob(job));
			await jobs.complete(job.id, leaseToken);
		} catch (error) {
			const reason = error instanceof Error ? error.message : String(error);
			if (job.attempts >= job.maxAttempts) {
				if (await jobs.deadLetter(job.id, leaseToken, reason)) await handlers.onDeadLetter(toQueueJob(job), reason);
			} else {
				await jobs.retryLater(job.id, leaseToken, now() + backoffDelay(settings, job.attempts), reason);
			}
		} finally {
			clearInterval(renew);
		}
	}

	/** Starts due jobs up to the concurrency; resolves with how long to sleep before looking again. */
	async function startDueJobs(handlers: QueueWorkerOptions): Promise<number> {
		const free = handlers.concurrency - running.size;
		if (free <= 0) return idlePollMs;
		const at = now();
		const { taken, exhausted } = await jobs.take(queue, {
			limit: free,
			leaseToken: randomUUID(),
			at,
			lockedUntil: at + settings.leaseMs,
		});
		for (const job of exhausted) {
			await handlers.onDeadLetter(toQueueJob(job), job.lastError ?? "attempts exhausted");
		}
		for (const job of taken) {
			const delivery = deliver(job, handlers)
				.catch((error: unknown) => logger.error({ err: error, job_id: job.id }, "job delivery failed"))
				.finally(() => {
					running.delete(delivery);
					wake?.();
				});
			running.add(delivery);
		}
		if (taken.length === free) return 0;
		const nextDue = await jobs.nextDueAt(queue);
		return nextDue === undefined ? idlePollMs : Math.min(idlePollMs, Math.max(0, nextDue - now()));
	}

	async function poll(handlers: QueueWorkerOptions): Promise<void> {
		while (!closed) {
			let sleepMs: number;
			try {
				sleepMs = await startDueJobs(handlers);
			} catch (error) {
				// A busy or failing database must not stop the worker for good.
				logger.warn({ err: error }, "embedded queue could not take jobs");
				sleepMs = idlePollMs;
			}
			if (sleepMs === 0 || closed) continue;
			await new Promise<void>((resolve) => {
				wake = resolve;
				timer = setTimeout(resolve, sleepMs);
			});
			wake = undefined;
		}
	}

	let loop: Promise<void> | undefined;
	return {
		backend: "embedded",
		async enqueue(job) {
			await jobs.add({ id: job.id, queue, data: job.data, maxAttempts: settings.maxAttempts, at: now() });
			wake?.();
		},
		startWorker(handlers) {
			if (worker) throw new Error("the embedded queue's worker is already started");
			worker = handlers;
			loop = poll(handlers).catch((error: unknown) => logger.error({ err: error }, "embedded queue stopped"));
		},
		counts: () => jobs.counts(queue, now()),
		async close() {
			closed = true;
			clearTimeout(timer);
			wake?.();
			await loop;
			await Promise.allSettled([...running]);
		},
	};
}
