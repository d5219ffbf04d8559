import { AppError, type ErrorCode } from "../errors.js";
import type { Metrics } from "../observability/metrics.js";
import type { ModelCallOptions, ProviderCredentials } from "./model-port.js";

/**
 * Fallback chains: the requested model first, then the next one whenever a model fails in a way
 * another provider might not (after that model's own retries), until one answers. A client error
 * (a rejected request, a prompt too long) would fail the same everywhere, so it ends the chain.
 */

/** What the chain needs to know of a model. */
export interface ChainCandidate {
	/** Public id, "provider/model". */
	readonly id: string;
	readonly provider: string;
}

/** The models to try, in order; never empty. */
export type ModelChain<Candidate extends ChainCandidate = ChainCandidate> = readonly [Candidate, ...Candidate[]];

/** Counts every attempt made for one client request, across retries and fallbacks. */
export interface AttemptTally {
	attempts: number;
}

export interface ChainCallOptions extends ModelCallOptions {
	tally: AttemptTally;
}

export interface ChainResult<Value, Candidate extends ChainCandidate> {
	value: Value;
	/** The model that answered. */
	answeredBy: Candidate;
	/** Attempts across the whole chain. */
	attempts: number;
	/** How many models failed before the one that answered. */
	fallbacks: number;
}

export interface FallbackOptions<Candidate extends ChainCandidate> extends ModelCallOptions {
	/**
	 * Per-model credentials (a user's own keys, by provider), looked up as each model's turn comes.
	 * Without it, `credentials` go only to models of the first model's provider, and the others use
	 * their configured keys.
	 */
	credentialsFor?:
		| ((candidate: Candidate) => ProviderCredentials | undefined | Promise<ProviderCredentials | undefined>)
		| undefined;
}

export type WithFallbacks = <Candidate extends ChainCandidate, Value>(
	chain: ModelChain<Candidate>,
	call: (candidate: Candidate, options: ChainCallOptions) => Promise<Value>,
	options?: FallbackOptions<Candidate>,
) => Promise<ChainResult<Value, Candidate>>;

/** Provider-side failures: the next model may well succeed where this one did not. */
const fallbackCodes: ReadonlySet<ErrorCode> = new Set([
	"provider_error",
	"provider_unavailable",
	"provider_overloaded",
	"provider_timeout",
]);

export function fallsBack(error: unknown): boolean {
	return error instanceof AppError && fallbackCodes.has(error.code);
}

export function createFallbackRunner(options: {
	metrics: Pick<Metrics, "llmFallbacks">;
	/** Deadline for the whole chain until a call resolves (a stream: until it opened); 0 = none. */
	totalTimeoutMs: number;
}): WithFallbacks {
	const { metrics, totalTimeoutMs } = options;

	return async (chain, call, callOptions = {}) => {
		const callerSignal = callOptions.signal;
		const tally: AttemptTally = { attempts: 0 };
		// No timer unless configured: on the proxy hot path one timer and signal per request are measurable.
		const deadline = totalTimeoutMs > 0 ? new AbortController() : undefined;
		const timer =
			deadline === undefined ? undefined : setTimeout(() => deadline.abort(totalTimeoutError()), totalTimeoutMs);
		const signal =
			deadline === undefined
				? callerSignal
				: callerSignal === undefined
					? deadline.signal
					: AbortSignal.any([callerSignal, deadline.signal]);
		const primaryProvider = chain[0].provider;
		// Credentials belong to the provider they were given for; another provider in the chain is
		// called with its configured key.
		const credentialsFor =
			callOptions.credentialsFor ??
			((candidate: ChainCandidate) => (candidate.provider === primaryProvider ? callOptions.credentials : undefined));
		try {
			for (let index = 0; ; index++) {
				const candidate = chain[index] as (typeof chain)[0];
				try {
					const credentials = await credentialsFor(candidate);
					const value = await call(candidate, { signal, credentials, tally });
					return { value, answeredBy: candidate, attempts: tally.attempts, fallbacks: index };
				} catch (error) {
					if (deadline?.signal.aborted && !callerSignal?.aborted) throw deadline.signal.reason;
					const next = chain[index + 1];
					if (next === undefined || !fallsBack(error)) throw error;
					// Not on the hot path (a fallback follows exhausted retries), so labels are looked up here.
					metrics.llmFallbacks.inc({ from: candidate.id, to: next.id });
				}
			}
		} finally {
			if (timer !== undefined) clearTimeout(timer);
		}
	};

	function totalTimeoutError(): AppError {
		return new AppError("provider_timeout", {
			detail: `No model answered within ${totalTimeoutMs} ms (LLM_TOTAL_TIMEOUT_MS), retries and fallbacks included.`,
		});
	}
}
