import { ProviderCallError } from "../model-port.js";
import { parseRetryAfterMs } from "../retry-after.js";

/**
 * AI SDK errors as ProviderCallError. Matched by shape, not class, so that this module does not
 * load the SDK: APICallError and StreamProviderError both carry `statusCode` and `isRetryable`.
 */

interface SdkErrorShape {
	name?: unknown;
	message?: unknown;
	statusCode?: unknown;
	isRetryable?: unknown;
	responseHeaders?: unknown;
	lastError?: unknown;
	cause?: unknown;
}

const maxUpstreamMessageLength = 500;

export function toAiSdkProviderCallError(
	provider: string,
	error: unknown,
	signal: AbortSignal | undefined,
): ProviderCallError {
	if (error instanceof ProviderCallError) return error;
	if (signal?.aborted) {
		return new ProviderCallError({ provider, kind: "aborted", message: `${provider}: call aborted`, cause: error });
	}
	if (typeof error !== "object" || error === null) {
		return new ProviderCallError({ provider, kind: "invalid-response", message: `${provider}: ${String(error)}` });
	}
	const shape = error as SdkErrorShape;
	// RetryError wraps the real failure; with maxRetries 0 it should not appear, but be safe.
	if (shape.name === "AI_RetryError" && shape.lastError !== undefined) {
		return toAiSdkProviderCallError(provider, shape.lastError, signal);
	}
	const message = typeof shape.message === "string" ? shape.message : "unknown error";
	const upstreamMessage =
		message.length > maxUpstreamMessageLength ? `${message.slice(0, maxUpstreamMessageLength)}…` : message;

	if (typeof shape.statusCode === "number") {
		const headers = (shape.responseHeaders ?? {}) as Record<string, string | undefined>;
		return new ProviderCallError({
			provider,
			kind: "http",
			status: shape.statusCode,
			message: `${provider}: upstream answered HTTP ${shape.statusCode}`,
			retryAfterMs: parseRetryAfterMs(headers["retry-after-ms"], headers["retry-after"]),
			upstreamMessage,
			cause: error,
		});
	}
	if (shape.name === "AI_APICallError" || isNetworkFailure(error)) {
		// An API call that got no HTTP answer at all: the connection failed.
		return new ProviderCallError({ provider, kind: "network", message: `${provider}: ${message}`, cause: error });
	}
	if (shape.name === "AI_StreamProviderError") {
		return new ProviderCallError({
			provider,
			kind: shape.isRetryable === true ? "stream" : "invalid-response",
			message: `${provider}: the upstream reported an error mid-stream`,
			upstreamMessage,
			cause: error,
		});
	}
	return new ProviderCallError({
		provider,
		kind: "invalid-response",
		message: `${provider}: ${message}`,
		upstreamMessage,
		cause: error,
	});
}

const networkCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE"]);

function isNetworkFailure(error: unknown): boolean {
	for (let current = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === "string" && (networkCodes.has(code) || code.startsWith("UND_ERR_"))) return true;
		if (current instanceof TypeError && current.message === "fetch failed") return true;
		current = (current as { cause?: unknown }).cause;
	}
	return false;
}
