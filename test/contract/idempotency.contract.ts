import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IdempotencyRepository, StoredResponse } from "../../src/store/idempotency-port.js";

export interface IdempotencyRecordsUnderTest {
	records: IdempotencyRepository;
	close(): Promise<void>;
}

const at = 1_800_000_000_000;
const lockMs = 60_000;
const response: StoredResponse = {
	status: 201,
	headers: { "content-type": "application/json; charset=utf-8", location: "/v1/things/1" },
	body: '{"id":"1","text":"é ✓"}',
};

const claimOf = (overrides: Partial<Parameters<IdempotencyRepository["claim"]>[0]> = {}) => ({
	ownerId: "user:a",
	key: "key-1",
	fingerprint: "fingerprint-1",
	now: at,
	lockedUntil: at + lockMs,
	...overrides,
});

/** The idempotency records' behaviour, for every implementation (store backends, Redis). */
export function describeIdempotencyContract(name: string, create: () => Promise<IdempotencyRecordsUnderTest>): void {
	describe(`idempotency records contract: ${name}`, () => {
		let underTest: IdempotencyRecordsUnderTest;
		let records: IdempotencyRepository;
		beforeEach(async () => {
			underTest = await create();
			records = underTest.records;
		});
		afterEach(async () => underTest.close());

		it("claims a new key, then reports it in progress to the same request", async () => {
			expect(await records.claim(claimOf())).toEqual({ state: "claimed" });
			expect(await records.claim(claimOf({ now: at + 10 }))).toEqual({
				state: "in-progress",
				lockedUntil: at + lockMs,
			});
		});

		it("of many concurrent claims exactly one wins", async () => {
			const outcomes = await Promise.all(Array.from({ length: 25 }, () => records.claim(claimOf())));
			expect(outcomes.filter((outcome) => outcome.state === "claimed")).toHaveLength(1);
			expect(outcomes.filter((outcome) => outcome.state === "in-progress")).toHaveLength(24);
		});

		it("a completed key replays its response byte for byte until it expires", async () => {
			await records.claim(claimOf());
			await records.complete("user:a", "key-1", response, at + 1000);
			expect(await records.claim(claimOf({ now: at + 999 }))).toEqual({ state: "completed", response });
			expect(await records.claim(claimOf({ now: at + 1000 }))).toEqual({ state: "claimed" });
		});

		it("another request under the same key is a mismatch, in progress or completed", async () => {
			await records.claim(claimOf());
			expect(await records.claim(claimOf({ fingerprint: "other" }))).toEqual({ state: "mismatch" });
			await records.complete("user:a", "key-1", response, at + 1000);
			expect(await records.claim(claimOf({ fingerprint: "other" }))).toEqual({ state: "mismatch" });
		});

		it("keys are scoped to their owner", async () => {
			await records.claim(claimOf());
			await records.complete("user:a", "key-1", response, at + 1000);
			expect(await records.claim(claimOf({ ownerId: "user:b" }))).toEqual({ state: "claimed" });
			expect(await records.claim(claimOf({ ownerId: "user:b", key: "key-2" }))).toEqual({ state: "claimed" });
		});

		it("a released claim can be claimed again", async () => {
			await records.claim(claimOf());
			await records.release("user:a", "key-1");
			expect(await records.claim(claimOf({ fingerprint: "changed" }))).toEqual({ state: "claimed" });
		});

		it("release and complete leave another owner's record alone, and release keeps completed records", async () => {
			await records.claim(claimOf());
			await records.release("user:b", "key-1");
			await records.complete("user:b", "key-1", response, at + 1000);
			expect((await records.claim(claimOf())).state).toBe("in-progress");
			await records.complete("user:a", "key-1", response, at + 1000);
			await records.release("user:a", "key-1");
			expect((await records.claim(claimOf())).state).toBe("completed");
		});

		it("an abandoned claim (past its lock) is taken over", async () => {
			await records.claim(claimOf());
			expect(await records.claim(claimOf({ now: at + lockMs, lockedUntil: at + 2 * lockMs }))).toEqual({
				state: "claimed",
			});
		});

		it("purges expired records only", async () => {
			await records.claim(claimOf({ key: "old" }));
			await records.complete("user:a", "old", response, at + 10);
			await records.claim(claimOf({ key: "young" }));
			await records.complete("user:a", "young", response, at + 10_000);
			expect(await records.purgeExpired(at + 20)).toBeGreaterThanOrEqual(1);
			expect((await records.claim(claimOf({ key: "young", now: at + 20 }))).state).toBe("completed");
		});
	});
}
