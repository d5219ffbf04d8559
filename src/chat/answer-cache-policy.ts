import type { CacheableRequest } from "../cache/response-cache.js";
import type { TokenUsage } from "../llm/model-port.js";
import type { ModelRouter, ResolvedModel } from "../llm/model-router.js";
import type { Grounding } from "./grounding.js";

/** A request's own say: `cache: true` caches whatever the temperature, `"semantic"` also matches similar questions. */
export type CacheFlag = boolean | "semantic" | undefined;

export type ResponseCacheMode = "off" | "exact" | "semantic";

/** A response cache lookup's outcome for a cacheable request. */
export type CacheOutcome = "exact" | "semantic" | "miss";

/**
 * Whether an answer may come from (and go to) the response cache, and under which key parts.
 * Only deterministic requests are cached: temperature 0, or the client asked with `cache`. The
 * scope is the user; it widens to the shared collections an answer came from only when nothing of
 * the user's own went into it (no memories, no private passages, no conversation history, not
 * paid with their own provider key).
 */
export function cacheableRequest(input: {
	mode: ResponseCacheMode;
	flag: CacheFlag;
	temperature: number | null | undefined;
	userId: string;
	grounding: Pick<Grounding, "sharedScopes"> | undefined;
	hasHistory: boolean;
	/** The call is paid with the caller's own provider key. */
	ownKey: boolean;
	/** The models that may answer, in order: a different chain is a different question. */
	chain: readonly string[];
	/** Everything else the answer depends on: parameters and every message but the last user one. */
	context: unknown;
	prompt: string;
}): CacheableRequest | undefined {
	if (input.mode === "off" || input.flag === false) return undefined;
	if (input.flag === undefined && input.temperature !== 0) return undefined;
	const sharedScopes = input.grounding?.sharedScopes;
	const scope =
		!input.hasHistory && !input.ownKey && sharedScopes !== undefined && sharedScopes.length > 0
			? `shared:${sharedScopes.join(",")}`
			: `user:${input.userId}`;
	return {
		scope,
		model: input.chain.join(">"),
		context: input.context,
		prompt: input.prompt,
		semantic: input.flag === "semantic" || input.mode === "semantic",
	};
}

/** The X-Cache response header for a cacheable request's outcome. */
export const cacheHeaderValue = (outcome: CacheOutcome): string =>
	outcome === "exact" ? "HIT" : outcome === "semantic" ? "SEMANTIC-HIT" : "MISS";

/** What a cached answer costs: nothing was called. */
export const noUsage: TokenUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

/** The model a cached answer came from, or `fallback` when it is no longer configured (the answer still is what it said). */
export function modelThatAnswered(
	models: Pick<ModelRouter, "resolve">,
	modelId: string,
	fallback: ResolvedModel,
): ResolvedModel {
	try {
		return models.resolve(modelId);
	} catch {
		return fallback;
	}
}
