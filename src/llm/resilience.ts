import {
	CircuitState,
	ConsecutiveBreaker,
	circuitBreaker,
	DelegateBackoff,
	handleWhen,
	type IRetryBackoffContext,
	retry,
	TimeoutStrategy,
	timeout,
	wrap,
} from "cockatiel";
import type { Metrics } from "../observability/metrics.js";
import { ProviderCallError } from "./model-port.js";

/**
 * Timeouts, retries and a circuit breaker around calls to one provider+model, with cockatiel.
 * Only retryable ProviderCallErrors (network, timeouts, 429, 5xx) are retried and counted by the
 * breaker: an upstream 400 says nothing about the upstream's health.
 */

export interface ResilienceSettings {
	/** Per attempt. */
	timeoutMs: number;
	maxRetries: number;
	retryBaseDelayMs: number;
	retryMaxDelayMs: number;
	breakerThreshold: number;
	breakerHalfOpenAfterMs: number;
}

export type CircuitStatus = "closed" | "open" | "half-open";

export interface AttemptContext {
	/**
	 * Aborted when the attempt times out or the caller aborts; with an adapter that enforces its own
	 * timeouts, simply the caller's signal (undefined when the caller has none).
	 */
	signal: AbortSignal | undefined;
	/** 1 for the first attempt. */
	attempt: number;
}

export interface CallResilience {
	/** Runs `attempt` until it succeeds or retrying stops; rethrows the last failure. */
	execute<T>(
		attempt: (context: AttemptContext) => Promise<T>,
		signal: AbortSignal | undefined,
	): Promise<{ value: T; attempts: number }>;
	circuit(): CircuitStatus;
	/** How long an open circuit keeps refusing calls; 0 unless open. */
	circuitRetryAfterMs(): number;
}

export interface CallResilienceOptions {
	settings: ResilienceSettings;
	/** Labels of the breaker's gauge and transition counter. */
	labels: { provider: string; model: string };
	metrics: Pick<Metrics, "llmCircuitState" | "llmCircuitTransitions" | "llmRetries">;
	/** Full jitter source, injectable for tests. */
	random?: () => number;
	now?: () => number;
	/**
	 * The adapter times out calls itself: no timeout policy, and attempts get the caller's own
	 * signal (often none) instead of one derived per attempt.
	 */
	adapterEnforcesTimeouts?: boolean;
}

export function isRetryableProviderFailure(error: unknown): boolean {
	return error instanceof ProviderCallError && error.retryable;
}

/** Failures retried as usual but kept out of the breaker's count (see markNotAboutProviderHealth). */
const notAboutProviderHealth = new WeakSet<object>();

/**
 * Marks a failure that says nothing about the provider's health for everyone: a 429 answered to a
 * user's own key is that user's quota, and must not open the circuit for every other caller.
 */
export function markNotAboutProviderHealth(error: ProviderCallError): void {
	notAboutProviderHealth.add(error);
}

const countsForCircuit = (error: unknown): boolean =>
	isRetryableProviderFailure(error) && !notAboutProviderHealth.has(error as object);

const circuitGaugeValue: Record<CircuitStatus, number> = { closed: 0, "half-open": 1, open: 2 };

export function createCallResilience(options: CallResilienceOptions): CallResilience {
	const { settings, labels, metrics } = options;
	const random = options.random ?? Math.random;
	const now = options.now ?? Date.now;
	let openedAt = 0;

	const breaker = circuitBreaker(handleWhen(countsForCircuit), {
		halfOpenAfter: settings.breakerHalfOpenAfterMs,
		breaker: new ConsecutiveBreaker(settings.breakerThreshold),
	});
	breaker.onBreak(() => {
		openedAt = now();
	});
	breaker.onStateChange((state) => {
		const status = toCircuitStatus(state);
		metrics.llmCircuitState.set(labels, circuitGaugeValue[status]);
		metrics.llmCircuitTransitions.inc({ ...labels, state: status });
	});
	metrics.llmCircuitState.set(labels, 0);

	const backoff = new DelegateBackoff((context: IRetryBackoffContext<unknown>) => {
		const error = "error" in context.result ? context.result.error : undefined;
		// Thrown from here, the error ends the retry loop at once and reaches the caller.
		if (breaker.state === CircuitState.Open) throw error;
		const ceiling = Math.min(settings.retryMaxDelayMs, settings.retryBaseDelayMs * 2 ** (context.attempt - 1));
		const delay = random() * ceiling;
		const retryAfterMs = error instanceof ProviderCallError ? error.retryAfterMs : undefined;
		if (retryAfterMs === undefined) return delay;
		if (retryAfterMs > settings.retryMaxDelayMs) throw error;
		return Math.max(delay, retryAfterMs);
	});

	const retryPolicy = retry(handleWhen(isRetryableProviderFailure), { maxAttempts: settings.maxRetries, backoff });
	// Bound once: retries are frequent exactly when the server is busiest.
	const retries = metrics.llmRetries.labels(labels.provider, labels.model);
	retryPolicy.onRetry(() => retries.inc());
	const policy = options.adapterEnforcesTimeouts
		? wrap(retryPolicy, breaker)
		: wrap(
				retryPolicy,
				breaker,
				// Cooperative: the attempt aborts on the signal. abortOnReturn off: a stream's signal must
				// outlive the attempt that opened it.
				timeout(settings.timeoutMs, { strategy: TimeoutStrategy.Cooperative, abortOnReturn: false }),
			);

	function status(): CircuitStatus {
		const state = toCircuitStatus(breaker.state);
		if (state === "open" && now() - openedAt >= settings.breakerHalfOpenAfterMs) return "half-open";
		return state;
	}

	return {
		async execute(attempt, signal) {
			let attempts = 0;
			const value = await policy.execute(async (context) => {
				attempts++;
				try {
					return await attempt({
						signal: options.adapterEnforcesTimeouts ? signal : context.signal,
						attempt: attempts,
					});
				} catch (error) {
					if (context.signal.aborted && !signal?.aborted) {
						throw new ProviderCallError({
							provider: labels.provider,
							kind: "timeout",
							message: `${labels.provider}: no answer within ${settings.timeoutMs} ms`,
							cause: error,
						});
					}
					throw error;
				}
			}, signal);
			return { value, attempts };
		},
		circuit: status,
		circuitRetryAfterMs() {
			if (status() !== "open") return 0;
			return Math.max(0, openedAt + settings.breakerHalfOpenAfterMs - now());
		},
	};
}

function toCircuitStatus(state: CircuitState): CircuitStatus {
	switch (state) {
		case CircuitState.Closed:
			return "closed";
		case CircuitState.HalfOpen:
			return "half-open";
		default:
			return "open";
	}
}
