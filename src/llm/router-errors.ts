import { BrokenCircuitError } from "cockatiel";
import { AppError, type ErrorCode } from "../errors.js";
import { providerSetting } from "./model-catalog.js";
import { ProviderCallError } from "./model-port.js";

/** How a provider call ended, as the llm duration histogram labels it. */
export type CallOutcome = "success" | "error" | "rejected" | "circuit_open" | "timeout";

/** Upstream statuses that mean "your request is wrong", not "I am unwell". */
const rejectionStatuses = new Set([400, 404, 413, 422]);
const overloadStatuses = new Set([429, 503, 529]);

/** A model whose provider this server has no key for, asked for by someone without their own. */
export function providerNotConfigured(modelId: string, provider: string): AppError {
	const setting = (providerSetting as Record<string, string | undefined>)[provider];
	return new AppError("unknown_model", {
		detail:
			`Model "${modelId}" needs the ${provider} provider, which is not configured on this server` +
			`${setting === undefined ? "" : ` (set ${setting})`}; or store your own key with PUT /v1/users/me/provider-keys/${provider}.`,
	});
}

/**
 * The final failure of a routed call, as the client will see it. `usedOwnKey`: the call carried
 * the user's own key, so an upstream 401/403 is about that key, and says so without quoting the
 * upstream (whose message may echo part of the key).
 */
export function toRouterAppError(
	error: unknown,
	modelId: string,
	circuitRetryAfterMs: () => number,
	usedOwnKey = false,
): AppError {
	if (error instanceof AppError) return error;
	if (
		usedOwnKey &&
		error instanceof ProviderCallError &&
		error.kind === "http" &&
		(error.status === 401 || error.status === 403)
	) {
		return new AppError("provider_key_rejected", {
			detail: `${error.provider} refused your own key (HTTP ${error.status}); replace it with PUT /v1/users/me/provider-keys/${error.provider}.`,
			extensions: { upstreamStatus: error.status },
		});
	}
	if (error instanceof BrokenCircuitError) {
		const seconds = retryAfterSeconds(circuitRetryAfterMs());
		return new AppError("provider_unavailable", {
			detail: `Calls to ${modelId} failed repeatedly, so they are paused; try again in ${seconds} s.`,
			headers: { "retry-after": String(seconds) },
			cause: error,
		});
	}
	if (!(error instanceof ProviderCallError)) {
		return new AppError("provider_error", { detail: `Calling ${modelId} failed unexpectedly.`, cause: error });
	}
	if (error.kind === "timeout") {
		return new AppError("provider_timeout", { detail: `${modelId} did not answer in time.`, cause: error });
	}
	const status = error.status;
	if (error.kind === "http" && status !== undefined && rejectionStatuses.has(status)) {
		return new AppError("provider_rejected", {
			detail: error.upstreamMessage ?? `${error.provider} rejected the request (HTTP ${status}).`,
			extensions: { upstreamStatus: status },
			cause: error,
		});
	}
	if (error.kind === "http" && status !== undefined && overloadStatuses.has(status)) {
		const headers =
			error.retryAfterMs === undefined ? undefined : { "retry-after": String(retryAfterSeconds(error.retryAfterMs)) };
		return new AppError("provider_overloaded", {
			detail: `${error.provider} is rate limiting or overloaded (HTTP ${status})${suffix(error.upstreamMessage)}`,
			extensions: { upstreamStatus: status },
			...(headers === undefined ? {} : { headers }),
			cause: error,
		});
	}
	const what = error.kind === "http" ? `answered HTTP ${status}` : describeKind(error.kind);
	return new AppError("provider_error", {
		detail: `${error.provider} ${what}${suffix(error.upstreamMessage)}`,
		...(status === undefined ? {} : { extensions: { upstreamStatus: status } }),
		cause: error,
	});
}

export function outcomeOf(code: ErrorCode): CallOutcome {
	switch (code) {
		case "provider_rejected":
			return "rejected";
		case "provider_unavailable":
			return "circuit_open";
		case "provider_timeout":
			return "timeout";
		default:
			return "error";
	}
}

/** What to throw when the caller itself aborted: its own reason, as fetch and undici do. */
export function abortReason(signal: AbortSignal): unknown {
	return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}

function retryAfterSeconds(milliseconds: number): number {
	return Math.max(1, Math.ceil(milliseconds / 1000));
}

function describeKind(kind: ProviderCallError["kind"]): string {
	switch (kind) {
		case "network":
			return "could not be reached";
		case "stream":
			return "broke off the response stream";
		case "invalid-response":
			return "sent a response Parley could not read";
		default:
			return "failed";
	}
}

function suffix(upstreamMessage: string | undefined): string {
	return upstreamMessage === undefined ? "." : `: ${upstreamMessage}`;
}
