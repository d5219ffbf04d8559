import websocket from "@fastify/websocket";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Authenticator } from "../auth/authenticator.js";
import { authenticateLive, bearerSubprotocol, type LiveIdentity, whenExpired } from "../http/live-authentication.js";
import type { LiveEvent, Notifier } from "../notify/notifier-port.js";
import type { Metrics } from "../observability/metrics.js";

/** A client that lets this much pile up unsent is too slow to follow; it is disconnected. */
const maximumBufferedBytes = 1_048_576;
const heartbeatMs = 30_000;
/** Application close codes (4000–4999). */
const tokenExpiredCode = 4001;
const slowConsumerCode = 1013;
const goingAwayCode = 1001;

export const liveEventFrame = (event: LiveEvent) =>
	JSON.stringify({
		id: event.id,
		type: event.type,
		created_at: new Date(event.createdAt).toISOString(),
		data: event.data,
	});

const identities = new WeakMap<object, LiveIdentity>();

/** The part of a `ws` WebSocket used here (the project has no @types/ws). */
interface LiveSocket {
	readonly readyState: number;
	readonly OPEN: number;
	readonly bufferedAmount: number;
	send(data: string): void;
	ping(): void;
	close(code: number, reason: string): void;
	terminate(): void;
	on(event: "pong" | "close", listener: () => void): void;
}

/**
 * GET /v1/ws: one user's live events as JSON text frames. The upgrade is refused with a 401
 * problem document before any WebSocket exists when the token is missing or bad. The server
 * pings every 30 s and drops a client that did not answer the previous ping; it closes with 4001
 * when the token expires (reconnect with a fresh one) and with 1013 when the client reads too
 * slowly.
 */
export function liveSocketRoutes(dependencies: {
	authenticator: Authenticator;
	notifier: Notifier;
	metrics: Pick<Metrics, "liveConnections">;
}): FastifyPluginAsyncZod {
	const { authenticator, notifier, metrics } = dependencies;
	return async (app) => {
		// Before @fastify/websocket's own pre-close hook (hooks run in the order added), which closes
		// without a status: clients learn the server is going away (1001) and may reconnect elsewhere.
		app.addHook("preClose", (done) => {
			for (const client of app.websocketServer?.clients ?? []) client.close(goingAwayCode, "server shutting down");
			done();
		});
		await app.register(websocket, {
			options: {
				maxPayload: 4096,
				handleProtocols: (protocols: Set<string>) => (protocols.has(bearerSubprotocol) ? bearerSubprotocol : false),
			},
		});
		app.get(
			"/v1/ws",
			{
				websocket: true,
				// Authenticated below, from the query or the subprotocol as well as the header; a
				// long-lived connection is not a request to rate-limit.
				config: { access: "public" },
				schema: {
					querystring: z.strictObject({ token: z.string().min(1).max(8192).optional() }),
				},
				preValidation: async (request) => {
					identities.set(
						request,
						await authenticateLive(request, authenticator, (request.query as { token?: string }).token),
					);
				},
			},
			async (socket: LiveSocket, request) => {
				const identity = identities.get(request)!;
				const userId = identity.principal.userId;
				metrics.liveConnections.labels("websocket").inc();
				let alive = true;
				const send = (frame: string) => {
					if (socket.readyState !== socket.OPEN) return;
					if (socket.bufferedAmount > maximumBufferedBytes) {
						socket.close(slowConsumerCode, "client too slow");
						return;
					}
					socket.send(frame);
				};
				const heartbeat = setInterval(() => {
					if (!alive) {
						socket.terminate();
						return;
					}
					alive = false;
					socket.ping();
				}, heartbeatMs);
				socket.on("pong", () => {
					alive = true;
				});
				const cancelExpiry = whenExpired(identity, () => socket.close(tokenExpiredCode, "token expired"));
				let unsubscribe: (() => void) | undefined;
				socket.on("close", () => {
					clearInterval(heartbeat);
					cancelExpiry();
					unsubscribe?.();
					metrics.liveConnections.labels("websocket").dec();
				});
				try {
					unsubscribe = await notifier.subscribe(userId, (event) => send(liveEventFrame(event)));
				} catch (error) {
					request.log.warn({ err: error }, "live channel unavailable");
					// 1011: the server cannot serve this connection now; the client may reconnect later.
					if (socket.readyState === socket.OPEN) socket.close(1011, "live events unavailable");
					return;
				}
				if (socket.readyState !== socket.OPEN) {
					unsubscribe();
					return;
				}
				// Tells the client that events published from now on will reach it.
				send(JSON.stringify({ type: "connection-ready", data: { user_id: userId } }));
			},
		);
	};
}
