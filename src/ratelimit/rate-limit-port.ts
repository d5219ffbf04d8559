/**
 * Counters behind rate limiting. A hit names several counters (one per window and identity:
 * "1 per second and 10 per minute for this user on this route", or "10 per minute for this IP and
 * for this account") and is counted only when every counter still has room, atomically: requests
 * refused by one window do not use up another. Windows are fixed, starting at their first hit.
 * Implementations: in-process (memory-rate-limit-store.ts) and Redis (redis-rate-limit-store.ts),
 * both passing test/contract/rate-limit.contract.ts.
 */

export interface RateWindow {
	/** Policy name in the RateLimit headers, e.g. "minute". */
	name: string;
	limit: number;
	windowMs: number;
}

export interface RateCounter {
	/** Unique per identity, route and window. */
	key: string;
	window: RateWindow;
}

export interface WindowState {
	window: RateWindow;
	/** Hits left in the current window after this one. */
	remaining: number;
	/** Until the window resets. */
	resetMs: number;
}

export interface RateDecision {
	allowed: boolean;
	windows: WindowState[];
	/** When refused: until the first full window resets enough for this request to pass. */
	retryAfterMs: number;
}

export interface RateLimitStore {
	hit(counters: readonly RateCounter[], now: number): Promise<RateDecision>;
	close(): Promise<void>;
}

/** A store could not be asked (Redis down); the caller applies its failure mode. */
export class RateLimitStoreError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = "RateLimitStoreError";
	}
}

/** The decision once counts and time to reset are known; shared by the implementations. */
export function decide(
	counters: readonly RateCounter[],
	counts: readonly number[],
	resets: readonly number[],
	allowed: boolean,
): RateDecision {
	let retryAfterMs = 0;
	const windows = counters.map((counter, index): WindowState => {
		const count = counts[index] ?? 0;
		// A counter never hit has no expiry yet (Redis reports a negative time to live).
		const reset = resets[index];
		const resetMs = reset === undefined || reset < 0 ? counter.window.windowMs : reset;
		if (!allowed && count >= counter.window.limit) retryAfterMs = Math.max(retryAfterMs, resetMs);
		return { window: counter.window, remaining: Math.max(0, counter.window.limit - count), resetMs };
	});
	return { allowed, windows, retryAfterMs };
}
