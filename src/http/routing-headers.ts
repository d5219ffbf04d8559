import { type CacheOutcome, cacheHeaderValue } from "../chat/answer-cache-policy.js";

/**
 * Response headers saying which model answered a model call and what it took: attempts count
 * every call made (retries and fallbacks included), fallbacks the models that failed first; and,
 * for cacheable requests, whether the response cache answered (X-Cache).
 */
export const routingHeaders = (routing: {
	model: string;
	attempts: number;
	fallbacks: number;
	cache?: CacheOutcome | undefined;
}): Record<string, string> => {
	const headers: Record<string, string> = {
		"x-parley-model": routing.model,
		"x-parley-attempts": String(routing.attempts),
		"x-parley-fallbacks": String(routing.fallbacks),
	};
	if (routing.cache !== undefined) headers["x-cache"] = cacheHeaderValue(routing.cache);
	return headers;
};

/** Listed in CORS's exposed headers, so that browser clients can read them. */
export const routingHeaderNames = ["x-parley-model", "x-parley-attempts", "x-parley-fallbacks", "x-cache"];
