import { setTimeout as sleep } from "node:timers/promises";

export interface LiveMessage {
	id?: string;
	type: string;
	created_at?: string;
	data: Record<string, unknown>;
}

export interface LiveSocket {
	socket: WebSocket;
	messages: LiveMessage[];
	/** Resolves with the first message of `type` matching `where` (already received or coming). */
	next(type: string, where?: (message: LiveMessage) => boolean, timeoutMs?: number): Promise<LiveMessage>;
	closed: Promise<{ code: number; reason: string }>;
	close(): void;
}

/**
 * A WebSocket client (Node's built-in WHATWG WebSocket) on Parley's /v1/ws. Resolves once the
 * server says `connection-ready`; rejects when the connection is refused or closes first.
 */
export async function openLiveSocket(
	baseUrl: string,
	options: { token?: string; protocols?: string[] },
): Promise<LiveSocket> {
	const url = new URL("/v1/ws", baseUrl.replace(/^http/, "ws"));
	if (options.token !== undefined) url.searchParams.set("token", options.token);
	const socket = new WebSocket(url, options.protocols);
	const messages: LiveMessage[] = [];
	const closed = new Promise<{ code: number; reason: string }>((resolve) => {
		socket.addEventListener("close", (event) => resolve({ code: event.code, reason: event.reason }));
	});
	socket.addEventListener("message", (event) => {
		messages.push(JSON.parse(String(event.data)) as LiveMessage);
	});
	const live: LiveSocket = {
		socket,
		messages,
		async next(type, where = () => true, timeoutMs = 10_000) {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const found = messages.find((message) => message.type === type && where(message));
				if (found) return found;
				if (Date.now() > deadline) throw new Error(`no ${type} message within ${timeoutMs} ms`);
				await sleep(10);
			}
		},
		closed,
		close: () => socket.close(),
	};
	await new Promise<void>((resolve, reject) => {
		socket.addEventListener("error", () => reject(new Error("websocket refused or failed")));
		closed.then((close) => reject(new Error(`websocket closed before ready: ${close.code}`)));
		live.next("connection-ready").then(() => resolve(), reject);
	});
	return live;
}
