import type { FastifyReply, FastifyRequest } from "fastify";

export interface EventStream {
	/** False once the client has gone; writing then is a no-op. */
	send(event: string, data: unknown): boolean;
	end(): void;
	readonly clientGone: boolean;
}

export const wantsEventStream = (request: FastifyRequest, streamFlag: boolean | undefined): boolean =>
	streamFlag ?? request.headers.accept?.includes("text/event-stream") === true;

/** Response headers of every event stream Parley sends (reply.hijack() skips the onRequest-set ones). */
export const eventStreamHeaders = (request: FastifyRequest): Record<string, string> => ({
	"content-type": "text/event-stream; charset=utf-8",
	"cache-control": "no-cache, no-transform",
	connection: "keep-alive",
	"x-accel-buffering": "no",
	"x-request-id": request.id,
});

/**
 * Takes over the response for Server-Sent Events. Event names are noun-then-verb
 * (`message-start`, `text-delta`, `message-end`, `error`); every stream ends, on success or
 * failure, with the caller's `end()` in a finally block.
 */
export function openEventStream(
	request: FastifyRequest,
	reply: FastifyReply,
	headers: Record<string, string> = {},
): EventStream {
	reply.hijack();
	const raw = reply.raw;
	let clientGone = false;
	raw.on("close", () => {
		clientGone = true;
	});
	raw.writeHead(200, { ...eventStreamHeaders(request), ...headers });
	return {
		send(event, data) {
			if (clientGone || raw.writableEnded) return false;
			raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
			return true;
		},
		end() {
			if (!raw.writableEnded) raw.end();
		},
		get clientGone() {
			return clientGone;
		},
	};
}
