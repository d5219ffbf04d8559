import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { JobQueue, QueueJob, QueueSettings } from "../../src/queue/queue-port.js";

export interface QueueUnderTest {
	queue: JobQueue;
	/** Closes the queue if still open and removes what it left behind. */
	cleanUp(): Promise<void>;
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error("condition not met in time");
		await sleep(20);
	}
}

const settings: QueueSettings = { maxAttempts: 3, backoffMs: 30, leaseMs: 2000 };

/** What every queue adapter must do, seen through the port only. */
export function describeQueueContract(
	name: string,
	create: (settings: QueueSettings) => Promise<QueueUnderTest>,
): void {
	describe(`queue contract: ${name}`, () => {
		let current: QueueUnderTest | undefined;
		afterEach(async () => {
			await current?.cleanUp();
			current = undefined;
		});
		const start = async () => {
			current = await create(settings);
			return current.queue;
		};

		it("delivers every job once with its data, and ignores a second enqueue of the same id", async () => {
			const queue = await start();
			const seen: QueueJob[] = [];
			// Enqueued before the worker starts, so the repeat finds job-a still queued.
			for (const id of ["job-a", "job-b", "job-c", "job-a"])
				await queue.enqueue({ id, data: { questionId: `q-${id}` } });
			expect((await queue.counts()).waiting).toBe(3);
			queue.startWorker({
				handler: async (job) => {
					seen.push(job);
				},
				onDeadLetter: async () => undefined,
				concurrency: 2,
			});
			await eventually(() => seen.length >= 3);
			await sleep(200);
			expect(seen.map((job) => job.id).sort()).toEqual(["job-a", "job-b", "job-c"]);
			expect(seen.find((job) => job.id === "job-b")).toMatchObject({
				data: { questionId: "q-job-b" },
				attempt: 1,
				maxAttempts: 3,
			});
			await eventually(async () => (await queue.counts()).waiting === 0 && (await queue.counts()).active === 0);
		});

		it("retries a failing job with backoff until it succeeds", async () => {
			const queue = await start();
			const attempts: Array<{ attempt: number; at: number }> = [];
			let done = false;
			queue.startWorker({
				handler: async (job) => {
					attempts.push({ attempt: job.attempt, at: Date.now() });
					if (job.attempt < 3) throw new Error(`transient failure ${job.attempt}`);
					done = true;
				},
				onDeadLetter: async () => {
					throw new Error("must not be dead-lettered");
				},
				concurrency: 1,
			});
			await queue.enqueue({ id: "flaky", data: { questionId: "q-flaky" } });
			await eventually(() => done);
			expect(attempts.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
			// Backoff: the second retry waits at least the (doubled) delay after the second attempt.
			expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(settings.backoffMs * 2 - 5);
		});

		it("dead-letters a job that fails every attempt", async () => {
			const queue = await start();
			let handled = 0;
			const deadLetters: Array<{ job: QueueJob; reason: string }> = [];
			queue.startWorker({
				handler: async () => {
					handled += 1;
					throw new Error("always broken");
				},
				onDeadLetter: async (job, reason) => {
					deadLetters.push({ job, reason });
				},
				concurrency: 1,
			});
			await queue.enqueue({ id: "poison", data: { questionId: "q-poison" } });
			await eventually(() => deadLetters.length > 0);
			expect(handled).toBe(3);
			expect(deadLetters[0]).toMatchObject({ job: { id: "poison", data: { questionId: "q-poison" } } });
			expect(deadLetters[0]?.reason).toContain("always broken");
			await eventually(async () => (await queue.counts()).deadLettered === 1);
			await sleep(100);
			expect(handled).toBe(3);
		});

		it("runs at most `concurrency` jobs at once", async () => {
			const queue = await start();
			let running = 0;
			let peak = 0;
			let finished = 0;
			queue.startWorker({
				handler: async () => {
					running += 1;
					peak = Math.max(peak, running);
					await sleep(100);
					running -= 1;
					finished += 1;
				},
				onDeadLetter: async () => undefined,
				concurrency: 2,
			});
			for (let index = 0; index < 5; index++)
				await queue.enqueue({ id: `parallel-${index}`, data: { questionId: "q" } });
			await eventually(() => finished === 5);
			expect(peak).toBe(2);
		});

		it("lets running jobs finish when closed", async () => {
			const queue = await start();
			let finished = false;
			let startedJob = false;
			queue.startWorker({
				handler: async () => {
					startedJob = true;
					await sleep(200);
					finished = true;
				},
				onDeadLetter: async () => undefined,
				concurrency: 1,
			});
			await queue.enqueue({ id: "graceful", data: { questionId: "q" } });
			await eventually(() => startedJob);
			await queue.close();
			expect(finished).toBe(true);
		});
	});
}
