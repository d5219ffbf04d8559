import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Authenticator } from "../../auth/authenticator.js";
import { AppError } from "../../errors.js";
import type { LiveEvent, Notifier } from "../../notify/notifier-port.js";
import type { Metrics } from "../../observability/metrics.js";
import { authenticateLive, type LiveIdentity, whenExpired } from "../live-authentication.js";
import { problemResponses } from "../schemas/common.js";
import { eventStreamHeaders } from "../sse.js";

const heartbeatMs = 15_000;
const maximumBufferedBytes = 1_048_576;
const identities = new WeakMap<object, LiveIdentity>();

/**
 * GET /v1/events: the same live events as GET /v1/ws, as Server-Sent Events for clients that
 * prefer plain HTTP (EventSource). Each event carries its id; a client that reconnects with
 * `Last-Event-ID` (EventSource does so by itself) first gets what it missed from the recent
 * window, then live events, none twice.
 */
export function eventRoutes(dependencies: {
	authenticator: Authenticator;
	notifier: Notifier;
	metrics: Pick<Metrics, "liveConnections">;
}): FastifyPluginAsyncZod {
	const { authenticator, notifier, metrics } = dependencies;
	return async (app) => {
		// Open streams, so a shutdown can end them: an open stream would hold the server's close
		// until its client leaves.
		const streams = new Set<() => void>();
		app.addHook("preClose", (done) => {
			for (const end of [...streams]) end();
			done();
		});
		app.get(
			"/v1/events",
			{
				config: { access: "public" },
				schema: {
					tags: ["notifications"],
					summary: "Your live events as Server-Sent Events (resumable with Last-Event-ID)",
					description:
						"Events: `question-answered`, `question-failed`, `prompt-message`, `document-indexed`; each with " +
						"`id:`, `event:` and JSON `data:`. Authenticate with the Authorization header, or `?token=` where " +
						"the client cannot set headers (EventSource). A comment line every 15 s keeps proxies from closing " +
						"the stream; it ends when the token expires, and with a `server-closing` event when the server shuts down.",
					querystring: z.strictObject({
						token: z.string().min(1).max(8192).optional(),
						last_event_id: z.string().min(1).max(100).optional().describe("Same as the Last-Event-ID header"),
					}),
					response: { 200: z.string().describe("text/event-stream"), ...problemResponses(400, 401, 503) },
				},
				preValidation: async (request) => {
					identities.set(
						request,
						await authenticateLive(request, authenticator, (request.query as { token?: string }).token),
					);
				},
			},
			async (request, reply) => {
				const identity = identities.get(request)!;
				const userId = identity.principal.userId;
				const header = request.headers["last-event-id"];
				const resumeAfter = request.query.last_event_id ?? (typeof header === "string" ? header : undefined);
				const raw = reply.raw;
				// Ids sent while replaying: a live event held meanwhile may be among the missed ones.
				const replayed = new Set<string>();
				let replaying = true;
				const held: LiveEvent[] = [];
				const write = (event: LiveEvent) => {
					if (raw.writableEnded || replayed.has(event.id)) return;
					if (raw.writableLength > maximumBufferedBytes) {
						raw.end();
						return;
					}
					if (replaying) replayed.add(event.id);
					raw.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
				};
				// Subscribed before reading the missed events, so nothing falls between the two; and before
				// the stream starts, so a notifier that is down is still an HTTP error.
				const unsubscribe = await notifier
					.subscribe(userId, (event) => {
						if (replaying) held.push(event);
						else write(event);
					})
					.catch((error: unknown) => {
						throw new AppError("notifications_unavailable", { cause: error });
					});
				reply.hijack();
				raw.writeHead(200, eventStreamHeaders(request));
				metrics.liveConnections.labels("sse").inc();
				const heartbeat = setInterval(() => {
					if (!raw.writableEnded) raw.write(": keep-alive\n\n");
				}, heartbeatMs);
				const cancelExpiry = whenExpired(identity, () => raw.end());
				// The final event tells the client the end is deliberate; EventSource reconnects (to another
				// process behind the same address) and resumes with Last-Event-ID.
				const endForShutdown = () => {
					if (raw.writableEnded) return;
					// The connection goes too: an idle keep-alive socket would hold the server's close.
					raw.end('event: server-closing\ndata: {"reason":"shutdown"}\n\n', () => raw.socket?.end());
				};
				streams.add(endForShutdown);
				raw.on("close", () => {
					streams.delete(endForShutdown);
					clearInterval(heartbeat);
					cancelExpiry();
					unsubscribe();
					metrics.liveConnections.labels("sse").dec();
				});
				raw.write(": connected\n\n");
				try {
					if (resumeAfter !== undefined) {
						for (const event of await notifier.recent(userId, resumeAfter)) write(event);
					}
				} catch (error) {
					request.log.warn({ err: error }, "missed events not replayed");
				}
				for (const event of held) write(event);
				replaying = false;
				replayed.clear();
			},
		);
	};
}
