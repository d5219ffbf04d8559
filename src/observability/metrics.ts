import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * One registry per app instance (not prom-client's global one), so several apps can live in one
 * process — tests and benchmarks do that.
 */
export function createMetrics(options: { collectProcessMetrics?: boolean } = {}) {
	const registry = new Registry();
	if (options.collectProcessMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "parley_" });

	/** Set by the composition root once the queue exists; read at scrape time. */
	/** Set by the composition root when REDIS_URL is set: whether the shared connection is ready. */
	const redisStatusSource: { read?: () => boolean } = {};
	const databasePoolSource: { read?: () => { total: number; idle: number; waiting: number } } = {};
	const queueDepthSource: { read?: () => Promise<{ waiting: number; active: number; deadLettered: number }> } = {};
	const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

	return {
		registry,
		httpRequestDuration: new Histogram({
			name: "parley_http_request_duration_seconds",
			help: "HTTP request duration by method, route template and status code",
			labelNames: ["method", "route", "status"] as const,
			buckets: latencyBuckets,
			registers: [registry],
		}),
		llmRequestDuration: new Histogram({
			name: "parley_llm_request_duration_seconds",
			help: "Duration of calls to model providers (all attempts included), by outcome",
			labelNames: ["provider", "model", "outcome"] as const,
			buckets: latencyBuckets,
			registers: [registry],
		}),
		llmTokens: new Counter({
			name: "parley_llm_tokens_total",
			help: "Tokens used, by provider, model and type (prompt or completion)",
			labelNames: ["provider", "model", "type"] as const,
			registers: [registry],
		}),
		llmErrors: new Counter({
			name: "parley_llm_errors_total",
			help: "Failed calls to model providers after retries, by error code",
			labelNames: ["provider", "model", "code"] as const,
			registers: [registry],
		}),
		llmAttempts: new Counter({
			name: "parley_llm_attempts_total",
			help: "Attempts made to call model providers (a retried call counts each attempt)",
			labelNames: ["provider", "model"] as const,
			registers: [registry],
		}),
		llmRetries: new Counter({
			name: "parley_llm_retries_total",
			help: "Attempts that were retries of a failed attempt to the same provider and model",
			labelNames: ["provider", "model"] as const,
			registers: [registry],
		}),
		llmFallbacks: new Counter({
			name: "parley_llm_fallbacks_total",
			help: "Calls handed to the next model of a fallback chain, by the model that failed and the one tried next",
			labelNames: ["from", "to"] as const,
			registers: [registry],
		}),
		llmCircuitState: new Gauge({
			name: "parley_llm_circuit_state",
			help: "Circuit breaker state per provider and model: 0 closed, 1 half-open, 2 open",
			labelNames: ["provider", "model"] as const,
			registers: [registry],
		}),
		idempotencyOutcomes: new Counter({
			name: "parley_idempotency_requests_total",
			help: "Requests sent with an Idempotency-Key, by outcome: claimed (ran), completed (replayed), in-progress (409), mismatch (422)",
			labelNames: ["outcome"] as const,
			registers: [registry],
		}),
		rateLimitRejections: new Counter({
			name: "parley_rate_limit_rejections_total",
			help: "Requests refused with 429 by a rate limit, by route",
			labelNames: ["route"] as const,
			registers: [registry],
		}),
		rateLimitStoreErrors: new Counter({
			name: "parley_rate_limit_store_errors_total",
			help: "Rate limit checks that could not reach their store (Redis down); RATE_LIMIT_FAILURE_MODE decides the outcome",
			registers: [registry],
		}),
		responseCacheLookups: new Counter({
			name: "parley_response_cache_lookups_total",
			help: "Response cache lookups by kind (exact, semantic) and outcome (hit, miss)",
			labelNames: ["kind", "outcome"] as const,
			registers: [registry],
		}),
		llmCircuitTransitions: new Counter({
			name: "parley_llm_circuit_transitions_total",
			help: "Circuit breaker state changes per provider and model",
			labelNames: ["provider", "model", "state"] as const,
			registers: [registry],
		}),
		questionJobs: new Counter({
			name: "parley_question_jobs_total",
			help: "Question deliveries handled by workers of this process, by outcome: answered, retried, failed, dead_lettered, skipped (already done)",
			labelNames: ["outcome"] as const,
			registers: [registry],
		}),
		questionJobDuration: new Histogram({
			name: "parley_question_job_duration_seconds",
			help: "Time from a question's creation to its answer or final failure",
			labelNames: ["outcome"] as const,
			buckets: latencyBuckets,
			registers: [registry],
		}),
		queueDepth: new Gauge({
			name: "parley_queue_jobs",
			help: "Jobs of the question queue by state (waiting, active, dead_lettered), read at scrape time",
			labelNames: ["state"] as const,
			registers: [registry],
			async collect() {
				if (!queueDepthSource.read) return;
				try {
					const counts = await queueDepthSource.read();
					this.labels("waiting").set(counts.waiting);
					this.labels("active").set(counts.active);
					this.labels("dead_lettered").set(counts.deadLettered);
				} catch {
					// A queue that cannot be counted right now leaves the last values.
				}
			},
		}),
		queueDepthSource,
		liveConnections: new Gauge({
			name: "parley_live_connections",
			help: "Open live-notification connections on this process, by transport (websocket, sse)",
			labelNames: ["transport"] as const,
			registers: [registry],
		}),
		webhookDeliveries: new Counter({
			name: "parley_webhook_deliveries_total",
			help: "Webhook deliveries finished by this process, by outcome: succeeded, failed (every attempt used, or a permanent refusal), abandoned (a retry dropped at shutdown)",
			labelNames: ["outcome"] as const,
			registers: [registry],
		}),
		webhookAttempts: new Counter({
			name: "parley_webhook_attempts_total",
			help: "Webhook HTTP attempts, by result: succeeded, retry (network error, 429 or 5xx), failed (permanent)",
			labelNames: ["result"] as const,
			registers: [registry],
		}),
		redisConnected: new Gauge({
			name: "parley_redis_connected",
			help: "1 while the shared Redis connection is ready, 0 otherwise; absent without REDIS_URL",
			registers: [registry],
			collect() {
				if (redisStatusSource.read) this.set(redisStatusSource.read() ? 1 : 0);
			},
		}),
		redisStatusSource,
		databasePoolConnections: new Gauge({
			name: "parley_database_pool_connections",
			help: "The PostgreSQL pool's connections by state (total, idle) and requests waiting for one; absent on SQLite",
			labelNames: ["state"] as const,
			registers: [registry],
			collect() {
				const pool = databasePoolSource.read?.();
				if (pool === undefined) return;
				this.set({ state: "total" }, pool.total);
				this.set({ state: "idle" }, pool.idle);
				this.set({ state: "waiting" }, pool.waiting);
			},
		}),
		databasePoolSource,
	};
}

export type Metrics = ReturnType<typeof createMetrics>;
