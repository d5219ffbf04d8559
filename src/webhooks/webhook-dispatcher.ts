import type { Logger } from "pino";
import type { LiveEvent } from "../notify/notifier-port.js";
import type { Metrics } from "../observability/metrics.js";
import { KeyServiceUnavailableError } from "../provider-keys/key-wrapper.js";
import { newId } from "../store/ids.js";
import type { WebhookDeliveryRecord, WebhookRecord, WebhookRepository } from "../store/webhook-port.js";
import type { WebhookHttp } from "./webhook-http.js";
import type { WebhookService } from "./webhook-service.js";
import { eventHeader, idHeader, signatureHeader, signWebhook, timestampHeader } from "./webhook-signature.js";
import { WebhookTargetRefusedError } from "./webhook-target.js";

export interface WebhookDeliverySettings {
	/** Attempts per delivery, the first included. */
	maxAttempts: number;
	/** Delay before the first retry; doubles per attempt, with jitter. */
	retryDelayMs: number;
	/** Deliveries failing in a row before the webhook is disabled. */
	disableAfterFailures: number;
}

/** Longest wait between attempts, whatever Retry-After asks for. */
const maxRetryDelayMs = 15 * 60 * 1000;

type AttemptResult =
	| { kind: "succeeded"; status: number }
	| { kind: "retry"; status: number | null; error: string; retryAfterSeconds?: number | undefined }
	| { kind: "failed"; status: number | null; error: string };

/**
 * Delivers live events to their user's webhooks: each event once, from the process that
 * published it (so with Redis fan-out several processes never deliver the same event twice),
 * retrying network errors, 429 and 5xx with exponential backoff and full jitter.
 *
 * Retries wait in this process's timers: a restart drops the retries still waiting, and their
 * deliveries are marked failed ("not retried: the process stopped") rather than left pending.
 */
export function createWebhookDispatcher(options: {
	webhooks: WebhookRepository;
	service: WebhookService;
	http: WebhookHttp;
	settings: WebhookDeliverySettings;
	metrics: Metrics;
	logger: Logger;
	now?: () => number;
	random?: () => number;
}) {
	const { webhooks, service, http, settings, metrics, logger } = options;
	const now = options.now ?? Date.now;
	const random = options.random ?? Math.random;
	const running = new Set<Promise<unknown>>();
	const waits = new Set<() => void>();
	let closing = false;

	function track<T>(work: Promise<T>): Promise<T> {
		running.add(work);
		void work.finally(() => running.delete(work)).catch(() => undefined);
		return work;
	}

	/** Resolves true after `ms`, or false at once when the dispatcher closes. */
	function wait(ms: number): Promise<boolean> {
		if (closing) return Promise.resolve(false);
		return new Promise((resolve) => {
			const stop = () => {
				clearTimeout(timer);
				waits.delete(stop);
				resolve(false);
			};
			const timer = setTimeout(() => {
				waits.delete(stop);
				resolve(true);
			}, ms);
			waits.add(stop);
		});
	}

	function delayBefore(nextAttempt: number, retryAfterSeconds: number | undefined): number {
		const ceiling = Math.min(maxRetryDelayMs, settings.retryDelayMs * 2 ** (nextAttempt - 2));
		// Full jitter between half and all of the ceiling: failed receivers are not hit in lockstep.
		const backoff = ceiling / 2 + random() * (ceiling / 2);
		return Math.min(maxRetryDelayMs, Math.max(backoff, (retryAfterSeconds ?? 0) * 1000));
	}

	async function attempt(webhook: WebhookRecord, secret: string, eventId: string, type: string, body: string) {
		const timestamp = Math.floor(now() / 1000);
		try {
			const response = await http.post(webhook.url, body, {
				[idHeader]: eventId,
				[eventHeader]: type,
				[timestampHeader]: String(timestamp),
				[signatureHeader]: signWebhook(secret, timestamp, body),
			});
			if (response.status >= 200 && response.status < 300)
				return { kind: "succeeded", status: response.status } as const;
			const error = `the receiver answered HTTP ${response.status}`;
			if (response.status === 429 || response.status >= 500) {
				return {
					kind: "retry",
					status: response.status,
					error,
					retryAfterSeconds: response.retryAfterSeconds,
				} as const;
			}
			return { kind: "failed", status: response.status, error } as const;
		} catch (error) {
			if (error instanceof WebhookTargetRefusedError)
				return { kind: "failed", status: null, error: error.message } as const;
			const cause = error as NodeJS.ErrnoException & { cause?: Error };
			if (cause.cause instanceof WebhookTargetRefusedError) {
				return { kind: "failed", status: null, error: cause.cause.message } as const;
			}
			return { kind: "retry", status: null, error: `${cause.code ?? cause.name}: ${cause.message}` } as const;
		}
	}

	async function deliver(
		webhook: WebhookRecord,
		event: Pick<LiveEvent, "id" | "type" | "data" | "createdAt"> | TestEvent,
	) {
		const delivery: WebhookDeliveryRecord = {
			id: newId(),
			webhookId: webhook.id,
			userId: webhook.userId,
			eventId: event.id,
			eventType: event.type,
			status: "pending",
			attempts: 0,
			responseStatus: null,
			error: null,
			createdAt: now(),
			updatedAt: now(),
		};
		await webhooks.createDelivery(delivery);
		const body = JSON.stringify({
			id: event.id,
			type: event.type,
			created_at: new Date(event.createdAt).toISOString(),
			data: event.data,
		});
		let result: AttemptResult;
		let secret: string;
		try {
			secret = await service.secretOf(webhook);
		} catch (error) {
			logger.error({ err: error, webhook_id: webhook.id }, "webhook secret cannot be decrypted");
			const reason =
				error instanceof KeyServiceUnavailableError
					? "the key service holding the master key did not answer; not sent"
					: "the webhook's secret cannot be decrypted; register it again";
			result = { kind: "failed", status: null, error: reason };
			return finish(webhook, delivery, result, 0);
		}
		for (let attempts = 1; ; attempts++) {
			result = await attempt(webhook, secret, event.id, event.type, body);
			metrics.webhookAttempts.inc({ result: result.kind });
			if (result.kind !== "retry" || attempts >= settings.maxAttempts) {
				return finish(webhook, delivery, result.kind === "retry" ? { ...result, kind: "failed" } : result, attempts);
			}
			await webhooks.updateDelivery(delivery.userId, delivery.id, {
				status: "pending",
				attempts,
				responseStatus: result.status,
				error: result.error,
				updatedAt: now(),
			});
			if (!(await wait(delayBefore(attempts + 1, result.retryAfterSeconds)))) {
				await webhooks.updateDelivery(delivery.userId, delivery.id, {
					status: "failed",
					attempts,
					responseStatus: result.status,
					error: `${result.error}; not retried: the process stopped`,
					updatedAt: now(),
				});
				metrics.webhookDeliveries.inc({ outcome: "abandoned" });
				return { ...delivery, status: "failed" as const, attempts };
			}
		}
	}

	async function finish(
		webhook: WebhookRecord,
		delivery: WebhookDeliveryRecord,
		result: AttemptResult,
		attempts: number,
	) {
		const succeeded = result.kind === "succeeded";
		const finished: WebhookDeliveryRecord = {
			...delivery,
			status: succeeded ? "succeeded" : "failed",
			attempts,
			responseStatus: result.status,
			error: result.kind === "succeeded" ? null : result.error,
			updatedAt: now(),
		};
		// The webhook's failure count first: a delivery shown finished has been counted.
		const updated = await webhooks.recordOutcome(webhook.userId, webhook.id, {
			succeeded,
			disableAfter: settings.disableAfterFailures,
			disabledReason: `disabled after ${settings.disableAfterFailures} failed deliveries in a row`,
			at: now(),
		});
		await webhooks.updateDelivery(delivery.userId, delivery.id, finished);
		metrics.webhookDeliveries.inc({ outcome: finished.status });
		if (webhook.enabled && updated && !updated.enabled) {
			logger.warn({ webhook_id: webhook.id, user_id: webhook.userId }, "webhook disabled after repeated failures");
		}
		return finished;
	}

	const logFailure = (error: unknown) => logger.error({ err: error }, "webhook delivery failed unexpectedly");

	return {
		/** Sends the event to each of its user's enabled webhooks that want its type; returns at once. */
		dispatch(event: LiveEvent): void {
			if (closing) return;
			track(
				(async () => {
					const targets = (await webhooks.listByUser(event.userId)).filter(
						(webhook) => webhook.enabled && (webhook.events.length === 0 || webhook.events.includes(event.type)),
					);
					await Promise.all(targets.map((webhook) => track(deliver(webhook, event)).catch(logFailure)));
				})(),
			).catch(logFailure);
		},
		/** A `webhook-test` ping to one webhook, even a disabled one; resolves when it has a first outcome row. */
		async test(webhook: WebhookRecord): Promise<string> {
			const event: TestEvent = {
				id: newId(),
				type: "webhook-test",
				data: { webhook_id: webhook.id },
				createdAt: now(),
			};
			const delivery = track(deliver(webhook, event));
			delivery.catch(logFailure);
			return event.id;
		},
		/** Stops waiting retries (their deliveries are marked failed) and waits for attempts under way. */
		async close(): Promise<void> {
			closing = true;
			for (const stop of [...waits]) stop();
			while (running.size > 0) await Promise.allSettled([...running]);
			await http.close();
		},
	};
}

interface TestEvent {
	id: string;
	type: "webhook-test";
	data: Record<string, unknown>;
	createdAt: number;
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
