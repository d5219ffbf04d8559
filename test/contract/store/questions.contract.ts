import { describe, expect, it } from "vitest";
import { newId } from "../../../src/store/ids.js";
import type { NewQuestion } from "../../../src/store/question-port.js";
import { InvalidCursorError, type Store } from "../../../src/store/store-port.js";

const baseTime = 1_750_000_000_000;

const aQuestion = (userId: string, overrides: Partial<NewQuestion> = {}): NewQuestion => ({
	id: newId(),
	userId,
	sessionId: "session-1",
	question: "What is fixed income?",
	requestedModel: null,
	rag: true,
	requestId: "request-1",
	createdAt: baseTime,
	...overrides,
});

const answer = {
	model: "mock/parley-mock-1",
	answer: "Bonds, mostly.",
	interactionId: "interaction-1",
	usage: { promptTokens: 10, completionTokens: 3, totalTokens: 13, estimated: false },
	citations: [{ number: 1, documentId: "d1", title: "Guide", chunkId: "c1", score: 0.5, snippet: "bonds" }],
};

/** Async questions and the embedded queue's jobs (store/question-port.ts). */
export function describeQuestionContract(store: () => Store): void {
	describe("questions", () => {
		it("creates a pending question, found only by its owner", async () => {
			const created = await store().questions.create(aQuestion("alice"));
			expect(created).toMatchObject({
				status: "pending",
				attempts: 0,
				answer: null,
				claimToken: null,
				deadLetteredAt: null,
			});
			expect(await store().questions.findById("alice", created.id)).toEqual(created);
			expect(await store().questions.findById("bob", created.id)).toBeUndefined();
		});

		it("lists newest first with session and status filters and cursors, per owner", async () => {
			const ids: string[] = [];
			for (let index = 0; index < 5; index++) {
				const question = aQuestion("alice", {
					createdAt: baseTime + index,
					sessionId: index % 2 === 0 ? "even" : "odd",
				});
				ids.push((await store().questions.create(question)).id);
			}
			await store().questions.create(aQuestion("bob", { sessionId: "even" }));
			const firstPage = await store().questions.list("alice", { limit: 2 });
			expect(firstPage.items.map((question) => question.id)).toEqual([ids[4], ids[3]]);
			const secondPage = await store().questions.list("alice", { limit: 2, cursor: firstPage.nextCursor! });
			expect(secondPage.items.map((question) => question.id)).toEqual([ids[2], ids[1]]);
			const even = await store().questions.list("alice", { limit: 10, sessionId: "even" });
			expect(even.items.map((question) => question.id)).toEqual([ids[4], ids[2], ids[0]]);
			expect(even.nextCursor).toBeNull();
			await store().questions.claim(ids[2]!, "token", baseTime + 10);
			const processing = await store().questions.list("alice", { limit: 10, status: "processing", sessionId: "even" });
			expect(processing.items.map((question) => question.id)).toEqual([ids[2]]);
			await expect(store().questions.list("alice", { limit: 2, cursor: "garbage!" })).rejects.toBeInstanceOf(
				InvalidCursorError,
			);
		});

		it("lets only the current claim store an answer, once", async () => {
			const { id } = await store().questions.create(aQuestion("alice"));
			const first = await store().questions.claim(id, "first", baseTime + 1);
			expect(first).toMatchObject({ status: "processing", attempts: 1, claimToken: "first" });
			// The queue redelivered (the first holder seemed dead): the claim moves on.
			const second = await store().questions.claim(id, "second", baseTime + 2);
			expect(second).toMatchObject({ attempts: 2, claimToken: "second" });
			expect(await store().questions.answer(id, "first", answer, baseTime + 3)).toBeUndefined();
			const answered = await store().questions.answer(id, "second", answer, baseTime + 4);
			expect(answered).toMatchObject({
				status: "answered",
				answer: "Bonds, mostly.",
				usage: answer.usage,
				finishedAt: baseTime + 4,
			});
			expect(answered?.citations).toEqual(answer.citations);
			// Nothing moves an answered question: no new claim, no second answer, no failure.
			expect(await store().questions.claim(id, "third", baseTime + 5)).toBeUndefined();
			expect(
				await store().questions.answer(id, "second", { ...answer, answer: "again" }, baseTime + 6),
			).toBeUndefined();
			expect(
				await store().questions.fail(id, null, { code: "x", detail: "x", deadLettered: true }, baseTime + 7),
			).toBeUndefined();
			expect((await store().questions.findById("alice", id))?.answer).toBe("Bonds, mostly.");
		});

		it("stores one outcome when deliveries race to answer or fail the same claim", async () => {
			const { id } = await store().questions.create(aQuestion("alice"));
			await store().questions.claim(id, "only", baseTime + 1);
			// Sent together: on a pooled backend they run on separate connections at the same time.
			const outcomes = await Promise.all([
				...[1, 2, 3, 4].map((attempt) =>
					store().questions.answer(id, "only", { ...answer, answer: `answer ${attempt}` }, baseTime + 2),
				),
				store().questions.fail(id, "only", { code: "x", detail: "x", deadLettered: false }, baseTime + 2),
				store().questions.fail(id, null, { code: "y", detail: "y", deadLettered: true }, baseTime + 2),
			]);
			const stored = outcomes.filter((outcome) => outcome !== undefined);
			expect(stored).toHaveLength(1);
			expect(await store().questions.findById("alice", id)).toEqual(stored[0]);
		});

		it("releases for a retry, fails, dead-letters and revives", async () => {
			const { id } = await store().questions.create(aQuestion("alice"));
			await store().questions.claim(id, "one", baseTime + 1);
			expect(await store().questions.release(id, "stale", { code: "provider_error", detail: "x" }, baseTime + 2)).toBe(
				false,
			);
			expect(await store().questions.release(id, "one", { code: "provider_error", detail: "down" }, baseTime + 2)).toBe(
				true,
			);
			expect(await store().questions.findById("alice", id)).toMatchObject({
				status: "pending",
				errorCode: "provider_error",
			});
			await store().questions.claim(id, "two", baseTime + 3);
			const failed = await store().questions.fail(
				id,
				"two",
				{ code: "provider_error", detail: "still down", deadLettered: true },
				baseTime + 4,
			);
			expect(failed).toMatchObject({ status: "failed", errorCode: "provider_error", deadLetteredAt: baseTime + 4 });
			const other = await store().questions.create(aQuestion("bob"));
			await store().questions.fail(
				other.id,
				null,
				{ code: "internal_error", detail: "x", deadLettered: false },
				baseTime + 5,
			);
			const deadLetters = await store().questions.listDeadLettered({ limit: 10 });
			expect(deadLetters.items.map((question) => question.id)).toEqual([id]);
			expect(await store().questions.revive(other.id, baseTime + 6)).toBeUndefined();
			const revived = await store().questions.revive(id, baseTime + 6);
			expect(revived).toMatchObject({ status: "pending", attempts: 0, deadLetteredAt: null, errorCode: null });
			expect((await store().questions.listDeadLettered({ limit: 10 })).items).toEqual([]);
		});
	});

	describe("jobs", () => {
		it("adds once per id, leases due jobs, and redelivers when a lease runs out", async () => {
			const jobs = store().jobs;
			expect(await jobs.add({ id: "j1", queue: "q", data: { questionId: "x" }, maxAttempts: 2, at: 100 })).toBe(true);
			expect(await jobs.add({ id: "j1", queue: "q", data: { questionId: "y" }, maxAttempts: 2, at: 100 })).toBe(false);
			expect(await jobs.add({ id: "other-queue", queue: "r", data: {}, maxAttempts: 2, at: 100 })).toBe(true);
			const first = await jobs.take("q", { limit: 5, leaseToken: "a", at: 200, lockedUntil: 1200 });
			expect(first.taken).toEqual([expect.objectContaining({ id: "j1", attempts: 1, data: { questionId: "x" } })]);
			expect((await jobs.take("q", { limit: 5, leaseToken: "b", at: 1000, lockedUntil: 2000 })).taken).toEqual([]);
			expect(await jobs.counts("q", 1000)).toEqual({ waiting: 0, active: 1, deadLettered: 0 });
			expect(await jobs.counts("q", 1300)).toEqual({ waiting: 1, active: 0, deadLettered: 0 });
			// The holder died: after its lease another delivery gets the job, and the old lease is void.
			const second = await jobs.take("q", { limit: 5, leaseToken: "c", at: 1300, lockedUntil: 2300 });
			expect(second.taken).toEqual([expect.objectContaining({ id: "j1", attempts: 2 })]);
			expect(await jobs.complete("j1", "a")).toBe(false);
			// Out of attempts: the next time it falls due it is dead-lettered, not delivered.
			const third = await jobs.take("q", { limit: 5, leaseToken: "d", at: 2400, lockedUntil: 3400 });
			expect(third.taken).toEqual([]);
			expect(third.exhausted).toEqual([expect.objectContaining({ id: "j1", deadLettered: true })]);
			expect((await jobs.counts("q", 2400)).deadLettered).toBe(1);
		});

		it("leases each due job to exactly one of several takers running at once, in due order", async () => {
			const jobs = store().jobs;
			for (let index = 0; index < 30; index += 1) {
				const id = `job-${String(index).padStart(2, "0")}`;
				await jobs.add({ id, queue: "q", data: {}, maxAttempts: 3, at: 1000 - index });
			}
			const takes = await Promise.all(
				[1, 2, 3, 4, 5, 6].map((taker) =>
					jobs.take("q", { limit: 8, leaseToken: `taker-${taker}`, at: 2000, lockedUntil: 9000 }),
				),
			);
			const taken = takes.flatMap((take) => take.taken.map((job) => job.id));
			expect(taken).toHaveLength(30);
			expect(new Set(taken).size).toBe(30);
			for (const [index, take] of takes.entries()) {
				expect(take.taken.every((job) => job.leaseToken === `taker-${index + 1}` && job.attempts === 1)).toBe(true);
				// Earliest due first: here the job added last.
				const ids = take.taken.map((job) => job.id);
				expect(ids).toEqual([...ids].sort().reverse());
			}
			expect(await jobs.counts("q", 2000)).toEqual({ waiting: 0, active: 30, deadLettered: 0 });
		});

		it("retries later, completes and dead-letters only under the current lease", async () => {
			const jobs = store().jobs;
			await jobs.add({ id: "j2", queue: "q", data: {}, maxAttempts: 3, at: 0 });
			await jobs.take("q", { limit: 1, leaseToken: "a", at: 0, lockedUntil: 1000 });
			expect(await jobs.extend("j2", "a", 5000)).toBe(true);
			expect(await jobs.retryLater("j2", "a", 700, "flaky")).toBe(true);
			expect(await jobs.nextDueAt("q")).toBe(700);
			expect((await jobs.take("q", { limit: 1, leaseToken: "b", at: 600, lockedUntil: 1600 })).taken).toEqual([]);
			await jobs.take("q", { limit: 1, leaseToken: "b", at: 700, lockedUntil: 1700 });
			expect(await jobs.deadLetter("j2", "a", "stale")).toBe(false);
			expect(await jobs.complete("j2", "b")).toBe(true);
			expect(await jobs.counts("q", 800)).toEqual({ waiting: 0, active: 0, deadLettered: 0 });
		});
	});
}
