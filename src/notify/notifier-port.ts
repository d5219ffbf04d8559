/**
 * Live notifications: events for one user, delivered to that user's open WebSocket and SSE
 * connections in any process. Adapters: in-process (one process) and Redis pub/sub (fan-out
 * across API and worker processes). Both pass test/contract/notifier.contract.ts.
 */

export const liveEventTypes = ["question-answered", "question-failed", "prompt-message", "document-indexed"] as const;
export type LiveEventType = (typeof liveEventTypes)[number];

export interface LiveEvent {
	/** Sortable (UUIDv7): SSE clients resume after the last id they saw. */
	id: string;
	type: LiveEventType;
	userId: string;
	data: Record<string, unknown>;
	createdAt: number;
}

export type LiveEventListener = (event: LiveEvent) => void;

export interface Notifier {
	readonly backend: "memory" | "redis";
	/** Delivers to the user's listeners everywhere and keeps the event for resumption. */
	publish(userId: string, type: LiveEventType, data: Record<string, unknown>): Promise<LiveEvent>;
	/** Listens to one user's events; resolves once listening (events published afterwards arrive). */
	subscribe(userId: string, listener: LiveEventListener): Promise<() => void>;
	/** The user's kept events published after `afterId`, oldest first (a bounded recent window). */
	recent(userId: string, afterId: string): Promise<LiveEvent[]>;
	close(): Promise<void>;
}

/** Events kept per user for resumption, and for how long. */
export const keptEventsPerUser = 100;
export const keptEventsMs = 60 * 60 * 1000;

/** Kept events after `afterId`: those listed after it, or, when it is no longer kept, newer ids. */
export function eventsAfter(events: LiveEvent[], afterId: string): LiveEvent[] {
	const index = events.findIndex((event) => event.id === afterId);
	return index >= 0 ? events.slice(index + 1) : events.filter((event) => event.id > afterId);
}
