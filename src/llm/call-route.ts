import type { Metrics } from "../observability/metrics.js";
import type { TokenUsage } from "./model-port.js";
import { type CallResilience, createCallResilience, type ResilienceSettings } from "./resilience.js";
import { abortReason, type CallOutcome, outcomeOf, toRouterAppError } from "./router-errors.js";

/**
 * Everything kept per provider+model: its breaker and retry policy, and its metric series bound
 * once (prom-client's label lookup per call is measurable on the hot path).
 */
export interface CallRoute {
	readonly provider: string;
	readonly resilience: CallResilience;
	countAttempt(): void;
	recordSuccess(startedAt: number, usage: TokenUsage | null): void;
	/** The error to throw for a failed call; records it unless the caller aborted. */
	fail(error: unknown, startedAt: number, signal: AbortSignal | undefined, usedOwnKey?: boolean): unknown;
}

export interface CallRouteOptions {
	provider: string;
	model: string;
	/** Public id ("provider/model"), for messages. */
	modelId: string;
	settings: ResilienceSettings;
	adapterEnforcesTimeouts: boolean;
	metrics: Metrics;
	now: () => number;
}

export function createCallRoute(options: CallRouteOptions): CallRoute {
	const { provider, model, metrics, now } = options;
	const labels = { provider, model };
	const resilience = createCallResilience({
		settings: options.settings,
		labels,
		metrics,
		now,
		adapterEnforcesTimeouts: options.adapterEnforcesTimeouts,
	});
	const attempts = metrics.llmAttempts.labels(provider, model);
	const successDuration = metrics.llmRequestDuration.labels(provider, model, "success");
	const promptTokens = metrics.llmTokens.labels(provider, model, "prompt");
	const completionTokens = metrics.llmTokens.labels(provider, model, "completion");

	function observe(outcome: CallOutcome, startedAt: number): void {
		metrics.llmRequestDuration.observe({ ...labels, outcome }, (now() - startedAt) / 1000);
	}

	return {
		provider,
		resilience,
		countAttempt() {
			attempts.inc();
		},
		recordSuccess(startedAt, usage) {
			successDuration.observe((now() - startedAt) / 1000);
			if (usage !== null) {
				promptTokens.inc(usage.promptTokens);
				completionTokens.inc(usage.completionTokens);
			}
		},
		fail(error, startedAt, signal, usedOwnKey) {
			if (signal?.aborted) return abortReason(signal);
			const appError = toRouterAppError(error, options.modelId, resilience.circuitRetryAfterMs, usedOwnKey);
			observe(outcomeOf(appError.code), startedAt);
			metrics.llmErrors.inc({ ...labels, code: appError.code });
			return appError;
		},
	};
}
