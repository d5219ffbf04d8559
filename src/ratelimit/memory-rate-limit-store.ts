import { decide, type RateLimitStore } from "./rate-limit-port.js";

interface Counter {
	count: number;
	resetAt: number;
}

/** Counters past this many trigger a sweep of expired ones, so idle identities do not pile up. */
const sweepThreshold = 50_000;

/** The embedded default: exact for one process, nothing shared between processes. */
export function createMemoryRateLimitStore(): RateLimitStore {
	const counters = new Map<string, Counter>();

	function sweep(now: number): void {
		for (const [key, counter] of counters) if (counter.resetAt <= now) counters.delete(key);
	}

	return {
		async hit(requested, now) {
			if (counters.size > sweepThreshold) sweep(now);
			const live: Array<Counter | undefined> = requested.map(({ key }) => {
				const counter = counters.get(key);
				return counter !== undefined && counter.resetAt > now ? counter : undefined;
			});
			const allowed = requested.every(({ window }, index) => (live[index]?.count ?? 0) < window.limit);
			if (allowed) {
				requested.forEach(({ key, window }, index) => {
					const counter = live[index];
					if (counter === undefined) {
						const started = { count: 1, resetAt: now + window.windowMs };
						counters.set(key, started);
						live[index] = started;
					} else {
						counter.count += 1;
					}
				});
			}
			return decide(
				requested,
				live.map((counter) => counter?.count ?? 0),
				requested.map(({ window }, index) => (live[index]?.resetAt ?? now + window.windowMs) - now),
				allowed,
			);
		},
		async close() {
			counters.clear();
		},
	};
}
