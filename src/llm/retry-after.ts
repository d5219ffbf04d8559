/**
 * How long an upstream asked us to wait, from `retry-after-ms` (OpenAI, Azure) or the standard
 * `Retry-After` (delta-seconds or an HTTP date). Undefined when neither is present or readable.
 */
export function parseRetryAfterMs(
	retryAfterMilliseconds: string | undefined,
	retryAfter: string | undefined,
	now: number = Date.now(),
): number | undefined {
	if (retryAfterMilliseconds !== undefined) {
		const milliseconds = Number(retryAfterMilliseconds);
		if (Number.isFinite(milliseconds) && milliseconds >= 0) return Math.ceil(milliseconds);
	}
	if (retryAfter === undefined) return undefined;
	const trimmed = retryAfter.trim();
	if (trimmed.length === 0) return undefined;
	const seconds = Number(trimmed);
	if (Number.isFinite(seconds)) return seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
	const date = Date.parse(trimmed);
	if (Number.isNaN(date)) return undefined;
	return Math.max(0, date - now);
}

/** First value of a header as Node and undici report them (string, string[] or absent). */
export function headerValue(value: string | string[] | undefined): string | undefined {
	return Array.isArray(value) ? value[0] : value;
}
