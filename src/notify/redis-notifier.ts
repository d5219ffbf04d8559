import { Redis } from "ioredis";
import type { Logger } from "pino";
import { withinMs } from "../redis/redis-timeout.js";
import { newId } from "../store/ids.js";
import {
	eventsAfter,
	keptEventsMs,
	keptEventsPerUser,
	type LiveEvent,
	type LiveEventListener,
	type Notifier,
} from "./notifier-port.js";

/**
 * Fan-out through Redis pub/sub: one channel per user (`<prefix>events:<user id>`), subscribed
 * while this process has a listener for that user, so a process receives only the events of the
 * users connected to it. Published events are also kept in a capped per-user list for SSE
 * resumption. Publishing uses the shared fail-fast connection; subscribing needs a connection of
 * its own (a subscribed connection can do nothing else), which re-subscribes after reconnecting.
 */
export function createRedisNotifier(options: {
	publisher: Redis;
	url: string;
	keyPrefix: string;
	logger: Logger;
	now?: () => number;
}): Notifier {
	const { publisher, keyPrefix, logger } = options;
	const now = options.now ?? Date.now;
	const channelOf = (userId: string) => `${keyPrefix}events:${userId}`;
	const keptKeyOf = (userId: string) => `${keyPrefix}events-kept:${userId}`;
	const listeners = new Map<string, Set<LiveEventListener>>();
	let subscriber: Redis | undefined;

	function subscriberConnection(): Redis {
		if (subscriber) return subscriber;
		const connection = new Redis(options.url, { maxRetriesPerRequest: null });
		let lastWarnedAt = 0;
		connection.on("error", (error: Error) => {
			// ioredis reports every failed reconnect; one line per 10 s is enough to notice.
			if (Date.now() - lastWarnedAt < 10_000) return;
			lastWarnedAt = Date.now();
			logger.warn({ err: error }, "redis subscriber connection error");
		});
		connection.on("message", (channel: string, message: string) => {
			const userId = channel.slice(`${keyPrefix}events:`.length);
			let event: LiveEvent;
			try {
				event = JSON.parse(message) as LiveEvent;
			} catch {
				return;
			}
			// The channel names the user; an event claiming another is not delivered.
			if (event.userId !== userId) return;
			for (const listener of listeners.get(userId) ?? []) listener(event);
		});
		subscriber = connection;
		return connection;
	}

	return {
		backend: "redis",
		async publish(userId, type, data) {
			const event: LiveEvent = { id: newId(), type, userId, data, createdAt: now() };
			const message = JSON.stringify(event);
			const key = keptKeyOf(userId);
			await publisher
				.multi()
				.rpush(key, message)
				.ltrim(key, -keptEventsPerUser, -1)
				.pexpire(key, keptEventsMs)
				.publish(channelOf(userId), message)
				.exec();
			return event;
		},
		async subscribe(userId, listener) {
			let set = listeners.get(userId);
			if (!set) {
				set = new Set();
				listeners.set(userId, set);
				try {
					await withinMs(subscriberConnection().subscribe(channelOf(userId)), 3000, "subscribe");
				} catch (error) {
					listeners.delete(userId);
					throw error;
				}
			}
			set.add(listener);
			return () => {
				set.delete(listener);
				if (set.size === 0 && listeners.get(userId) === set) {
					listeners.delete(userId);
					subscriber?.unsubscribe(channelOf(userId)).catch(() => undefined);
				}
			};
		},
		async recent(userId, afterId) {
			const messages = await publisher.lrange(keptKeyOf(userId), 0, -1);
			const oldest = now() - keptEventsMs;
			const events = messages
				.map((message) => JSON.parse(message) as LiveEvent)
				.filter((event) => event.createdAt >= oldest);
			return eventsAfter(events, afterId);
		},
		async close() {
			listeners.clear();
			const connection = subscriber;
			if (connection) await withinMs(connection.quit(), 3000, "quit").catch(() => connection.disconnect());
		},
	};
}
