/**
 * Response headers saying which model answered a model call and what it took: attempts count
 * every call made (retries and fallbacks included), fallbacks the models that failed first.
 */
export const routingHeaders = (routing: {
	model: string;
	attempts: number;
	fallbacks: number;
}): Record<string, string> => ({
	"x-parley-model": routing.model,
	"x-parley-attempts": String(routing.attempts),
	"x-parley-fallbacks": String(routing.fallbacks),
});

/** Listed in CORS's exposed headers, so that browser clients can read them. */
export const routingHeaderNames = ["x-parley-model", "x-parley-attempts", "x-parley-fallbacks"];
