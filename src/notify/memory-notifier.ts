import { newId } from "../store/ids.js";
import {
	eventsAfter,
	keptEventsMs,
	keptEventsPerUser,
	type LiveEvent,
	type LiveEventListener,
	type Notifier,
} from "./notifier-port.js";

/** The embedded default: listeners and kept events in this process's memory. */
export function createMemoryNotifier(options: { now?: () => number } = {}): Notifier {
	const now = options.now ?? Date.now;
	const listeners = new Map<string, Set<LiveEventListener>>();
	const kept = new Map<string, LiveEvent[]>();

	function keep(event: LiveEvent): void {
		const oldest = now() - keptEventsMs;
		const events = (kept.get(event.userId) ?? []).filter((item) => item.createdAt >= oldest);
		events.push(event);
		if (events.length > keptEventsPerUser) events.splice(0, events.length - keptEventsPerUser);
		kept.set(event.userId, events);
	}

	return {
		backend: "memory",
		async publish(userId, type, data) {
			const event: LiveEvent = { id: newId(), type, userId, data, createdAt: now() };
			keep(event);
			for (const listener of listeners.get(userId) ?? []) listener(event);
			return event;
		},
		async subscribe(userId, listener) {
			let set = listeners.get(userId);
			if (!set) {
				set = new Set();
				listeners.set(userId, set);
			}
			set.add(listener);
			return () => {
				set.delete(listener);
				if (set.size === 0 && listeners.get(userId) === set) listeners.delete(userId);
			};
		},
		async recent(userId, afterId) {
			const oldest = now() - keptEventsMs;
			return eventsAfter(
				(kept.get(userId) ?? []).filter((event) => event.createdAt >= oldest),
				afterId,
			);
		},
		async close() {
			listeners.clear();
			kept.clear();
		},
	};
}
