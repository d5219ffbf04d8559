import type { LiveEvent, Notifier } from "./notifier-port.js";

/**
 * The notifier, also handing each event this process publishes to `onPublished` (webhook
 * delivery). Published events, not subscribed ones: with Redis fan-out every process receives
 * every event, but only the publishing process sees it here, so it is handled once.
 */
export function observePublished(notifier: Notifier, onPublished: ((event: LiveEvent) => void) | undefined): Notifier {
	if (!onPublished) return notifier;
	return {
		get backend() {
			return notifier.backend;
		},
		async publish(userId, type, data) {
			const event = await notifier.publish(userId, type, data);
			onPublished(event);
			return event;
		},
		subscribe: (userId, listener) => notifier.subscribe(userId, listener),
		recent: (userId, afterId) => notifier.recent(userId, afterId),
		close: () => notifier.close(),
	};
}
