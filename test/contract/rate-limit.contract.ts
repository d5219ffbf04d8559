import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RateCounter, RateLimitStore } from "../../src/ratelimit/rate-limit-port.js";
import { rateWindow } from "../../src/ratelimit/rate-limit-rules.js";

export interface RateLimitStoreUnderTest {
	store: RateLimitStore;
	/** Real time passes for Redis (its expiry is its own clock); the memory store takes `now`. */
	usesRealTime: boolean;
	close(): Promise<void>;
}

const perSecond = (limit: number) => rateWindow(limit, 1000);
const perMinute = (limit: number) => rateWindow(limit, 60_000);

/** The rate limit counters' behaviour, for every implementation. */
export function describeRateLimitContract(name: string, create: () => Promise<RateLimitStoreUnderTest>): void {
	describe(`rate limit store contract: ${name}`, () => {
		let underTest: RateLimitStoreUnderTest;
		let store: RateLimitStore;
		let clock: number;
		let run = 0;
		const key = (label: string) => `${label}-${run}`;
		const wait = async (milliseconds: number) => {
			clock += milliseconds;
			if (underTest.usesRealTime) await new Promise((resolve) => setTimeout(resolve, milliseconds));
		};
		beforeEach(async () => {
			underTest = await create();
			store = underTest.store;
			clock = Date.now();
			run++;
		});
		afterEach(async () => underTest.close());

		it("allows up to the limit, then refuses with the time until the window resets", async () => {
			const counters: RateCounter[] = [{ key: key("a"), window: perMinute(3) }];
			const decisions = [];
			for (let index = 0; index < 4; index++) decisions.push(await store.hit(counters, clock));
			expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false]);
			expect(decisions.map((decision) => decision.windows[0]?.remaining)).toEqual([2, 1, 0, 0]);
			const refused = decisions[3];
			expect(refused?.retryAfterMs).toBeGreaterThan(55_000);
			expect(refused?.retryAfterMs).toBeLessThanOrEqual(60_000);
			expect(decisions[0]?.windows[0]?.resetMs).toBeLessThanOrEqual(60_000);
		});

		it("counts concurrent hits exactly", async () => {
			const counters: RateCounter[] = [{ key: key("burst"), window: perMinute(10) }];
			const decisions = await Promise.all(Array.from({ length: 40 }, () => store.hit(counters, clock)));
			expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10);
		});

		it("a hit refused by one window does not use up the others", async () => {
			const counters: RateCounter[] = [
				{ key: key("second"), window: perSecond(1) },
				{ key: key("minute"), window: perMinute(3) },
			];
			expect((await store.hit(counters, clock)).allowed).toBe(true);
			for (let index = 0; index < 5; index++) expect((await store.hit(counters, clock)).allowed).toBe(false);
			await wait(1100);
			const next = await store.hit(counters, clock);
			expect(next.allowed).toBe(true);
			expect(next.windows.map((state) => state.remaining)).toEqual([0, 1]);
		});

		it("windows reset after their length", async () => {
			const counters: RateCounter[] = [{ key: key("reset"), window: perSecond(2) }];
			await store.hit(counters, clock);
			await store.hit(counters, clock);
			expect((await store.hit(counters, clock)).allowed).toBe(false);
			await wait(1100);
			expect((await store.hit(counters, clock)).allowed).toBe(true);
		});

		it("keys are independent", async () => {
			await store.hit([{ key: key("one"), window: perMinute(1) }], clock);
			expect((await store.hit([{ key: key("one"), window: perMinute(1) }], clock)).allowed).toBe(false);
			expect((await store.hit([{ key: key("two"), window: perMinute(1) }], clock)).allowed).toBe(true);
		});
	});
}
