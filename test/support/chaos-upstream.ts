import type { FakeStep, RecordedRequest } from "./fake-upstream.js";

/**
 * Chaos for the fake upstream: each call fails in one of the ways real providers fail, with
 * seeded odds. A call's fate depends only on the seed, the request's last user message and how
 * many calls that message had before, so the same client request meets the same chaos whatever
 * the concurrency and order of the run.
 */

export interface ChaosOdds {
	/** HTTP 500. */
	serverError: number;
	/** Never answers: the caller's timeout must end it. */
	hang: number;
	/** Starts answering (headers, maybe the role chunk), then goes silent: the idle timeout must end it. */
	stallBeforeAnswer: number;
	/** 429 with Retry-After: 0. */
	rateLimitedBriefly: number;
	/** 429 with Retry-After: 1. */
	rateLimitedForASecond: number;
	/** Starts answering, then the connection goes before the first token (or mid-way through a JSON body). */
	dropBeforeAnswer: number;
	/**
	 * Streams only, and only a request's first call: the connection goes after some tokens. Nothing
	 * can save such a request once they went out; keeping it to first calls fixes how many requests
	 * it can ruin (at most those the seed picks), whatever the timing of retries.
	 */
	dropAfterFirstToken: number;
}

export type ChaosFate = keyof ChaosOdds | "success";

export interface Chaos {
	rule(request: RecordedRequest): FakeStep;
	/** How many calls met each fate. */
	readonly fates: Record<ChaosFate, number>;
	/** The last user messages of the requests whose stream was cut after its first token. */
	readonly cutAfterFirstToken: Set<string>;
	/** How many distinct requests (last user messages) reached this upstream. */
	requestsSeen(): number;
}

export function createChaos(options: { seed: number; odds: ChaosOdds }): Chaos {
	const callsByKey = new Map<string, number>();
	const fates: Record<ChaosFate, number> = {
		serverError: 0,
		hang: 0,
		stallBeforeAnswer: 0,
		rateLimitedBriefly: 0,
		rateLimitedForASecond: 0,
		dropBeforeAnswer: 0,
		dropAfterFirstToken: 0,
		success: 0,
	};
	const cutAfterFirstToken = new Set<string>();
	const ordered = Object.entries(options.odds) as Array<[keyof ChaosOdds, number]>;

	function fateOf(key: string, streaming: boolean): { fate: ChaosFate; draw: number } {
		const call = callsByKey.get(key) ?? 0;
		callsByKey.set(key, call + 1);
		const draws = mulberry32(hashText(`${options.seed}\u0000${key}\u0000${call}`));
		let roll = draws();
		for (const [fate, odds] of ordered) {
			if (fate === "dropAfterFirstToken" && (!streaming || call > 0)) continue;
			if (roll < odds) return { fate, draw: draws() };
			roll -= odds;
		}
		return { fate: "success", draw: draws() };
	}

	return {
		fates,
		cutAfterFirstToken,
		requestsSeen: () => callsByKey.size,
		rule(request) {
			const body = (request.body ?? {}) as { stream?: unknown; messages?: Array<{ role?: string; content?: unknown }> };
			const streaming = body.stream === true;
			const key = lastUserMessage(body.messages ?? []);
			const { fate, draw } = fateOf(key, streaming);
			fates[fate]++;
			switch (fate) {
				case "serverError":
					return { type: "error", status: 500 };
				case "hang":
					return { type: "hang" };
				case "stallBeforeAnswer":
					return { type: "stall", afterEvents: draw < 0.5 ? 0 : 1 };
				case "rateLimitedBriefly":
					return { type: "error", status: 429, retryAfterSeconds: 0 };
				case "rateLimitedForASecond":
					return { type: "error", status: 429, retryAfterSeconds: 1 };
				case "dropBeforeAnswer":
					// Headers only, or the role chunk too: the stream had started, its answer had not.
					return { type: "drop", afterEvents: draw < 0.5 ? 0 : 1 };
				case "dropAfterFirstToken":
					cutAfterFirstToken.add(key);
					// The role chunk, then one to four chunks of text.
					return { type: "drop", afterEvents: 2 + Math.floor(draw * 4) };
				default:
					return { type: "success" };
			}
		},
	};
}

function lastUserMessage(messages: Array<{ role?: string; content?: unknown }>): string {
	for (let index = messages.length - 1; index >= 0; index--) {
		const message = messages[index];
		if (message?.role === "user" && typeof message.content === "string") return message.content;
	}
	return "";
}

/** FNV-1a, 32 bits. */
function hashText(text: string): number {
	let hash = 0x811c9dc5;
	for (let index = 0; index < text.length; index++) {
		hash ^= text.charCodeAt(index);
		hash = Math.imul(hash, 0x01000193);
	}
	return hash >>> 0;
}

function mulberry32(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let mixed = Math.imul(state ^ (state >>> 15), state | 1);
		mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
		return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
	};
}
