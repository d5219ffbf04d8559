import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Logger } from "pino";
import type { LiveEventType, Notifier } from "./notifier-port.js";

export interface SnsNotifierOptions {
	topicArn: string;
	endpoint?: string | undefined;
	logger: Logger;
	/** For tests: a client configured elsewhere. */
	client?: SNSClient;
}

/** The outcomes other systems subscribe to (seed: Desafio Toro's second topic). */
const publishedTypes: ReadonlySet<LiveEventType> = new Set(["question-answered", "question-failed"]);

/**
 * Publishes question outcomes to an SNS topic as well as delivering them live through `inner`
 * (SNS cannot reach a browser's WebSocket). The message is the event as JSON; message
 * attributes `event_type` and `user_id` let subscriptions filter without parsing it. A failed
 * publish is logged and does not fail the answer: the outcome is stored and delivered live.
 */
export function withSnsPublishing(inner: Notifier, options: SnsNotifierOptions): Notifier {
	const client = options.client ?? new SNSClient(options.endpoint === undefined ? {} : { endpoint: options.endpoint });
	return {
		backend: inner.backend,
		async publish(userId, type, data) {
			const event = await inner.publish(userId, type, data);
			if (publishedTypes.has(type)) {
				try {
					await client.send(
						new PublishCommand({
							TopicArn: options.topicArn,
							Message: JSON.stringify({ id: event.id, type, user_id: userId, data, created_at: event.createdAt }),
							MessageAttributes: {
								event_type: { DataType: "String", StringValue: type },
								user_id: { DataType: "String", StringValue: userId },
							},
						}),
					);
				} catch (error) {
					options.logger.error({ err: error, event_id: event.id, type }, "SNS publish failed");
				}
			}
			return event;
		},
		subscribe: (userId, listener) => inner.subscribe(userId, listener),
		recent: (userId, afterId) => inner.recent(userId, afterId),
		async close() {
			await inner.close();
			if (options.client === undefined) client.destroy();
		},
	};
}
