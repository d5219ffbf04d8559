import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../errors.js";
import type { Metrics } from "../observability/metrics.js";
import type { IdempotencyRepository, StoredResponse } from "../store/idempotency-port.js";
import "./fastify-augmentation.js";
import { routingHeaderNames } from "./routing-headers.js";

/**
 * Idempotency-Key on creating POSTs (IETF httpapi-idempotency-key draft, Stripe's behaviour):
 * the first request with a key runs and its successful response is kept for the TTL; repeats
 * with the same method, path and body get that response again with `Idempotent-Replayed: true`
 * and run nothing; the same key with another request is refused (422); a repeat while the first
 * still runs gets 409 with Retry-After. Responses that are not 2xx are not kept: such a request
 * changed nothing, so sending it again must run it again.
 */

export interface IdempotencySettings {
	records: IdempotencyRepository;
	ttlMs: number;
	/** How long a claim may stay unfinished before another request may take the key over. */
	lockMs: number;
	metrics: Pick<Metrics, "idempotencyOutcomes">;
	now?: () => number;
}

/** Handed to routes that answer outside Fastify's reply pipeline (event streams). */
export interface DeferredIdempotency {
	/** Keeps `body` as the response replayed to repeats, or releases the key when undefined. */
	settle(response: { status: number; body: string; headers?: Record<string, string> } | undefined): Promise<void>;
}

interface ActiveClaim {
	ownerId: string;
	key: string;
	deferred: boolean;
	/** Keeps the response (2xx) or releases the key (anything else, or nothing sent). */
	settle(response: StoredResponse | undefined): Promise<void>;
}

interface PendingKey {
	key: string;
	fingerprint: string;
}

const maximumKeyLength = 255;
/** Headers worth replaying; the rest (date, request id, rate limit state) describe the replay itself. */
const replayedHeaders = ["content-type", "location", ...routingHeaderNames];
const purgeIntervalMs = 60_000;

const pendingKeys = new WeakMap<FastifyRequest, PendingKey>();
const activeClaims = new WeakMap<FastifyRequest, ActiveClaim>();

/** Reads the header: an sf-string ("…") per the draft, or the bare token Stripe's clients send. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
	if (header === undefined) return undefined;
	if (Array.isArray(header)) {
		throw new AppError("invalid_idempotency_key", { detail: "send one Idempotency-Key header, not several" });
	}
	const quoted = header.length >= 2 && header.startsWith('"') && header.endsWith('"');
	const key = quoted ? header.slice(1, -1) : header.trim();
	if (key.length === 0 || key.length > maximumKeyLength || !/^[\x21-\x7e]+$/.test(key)) {
		throw new AppError("invalid_idempotency_key", {
			detail: `Idempotency-Key must be 1 to ${maximumKeyLength} visible ASCII characters (a UUID is a good choice)`,
		});
	}
	return key;
}

export function registerIdempotency(app: FastifyInstance, settings: IdempotencySettings): void {
	const { records, metrics } = settings;
	const now = settings.now ?? Date.now;
	let lastPurge = 0;

	function purgeNowAndThen(at: number): void {
		if (at - lastPurge < purgeIntervalMs) return;
		lastPurge = at;
		records.purgeExpired(at).catch((error: unknown) => app.log.warn({ err: error }, "idempotency purge failed"));
	}

	// The body's bytes are hashed as received, before parsing: multipart uploads are read by their
	// handler, too late to refuse a mismatched repeat.
	app.addHook("preParsing", async (request, _reply, payload) => {
		if (request.routeOptions.config?.idempotent !== true) return payload;
		const key = parseIdempotencyKey(request.headers["idempotency-key"]);
		if (key === undefined) return payload;
		const limit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 1_048_576;
		const body = await readLimited(payload, limit);
		const fingerprint = createHash("sha256")
			.update(`${request.method} ${request.url}\n${request.headers["content-type"] ?? ""}\n`)
			.update(body)
			.digest("base64url");
		pendingKeys.set(request, { key, fingerprint });
		const replayable = Readable.from([body]) as Readable & { receivedEncodedLength?: number };
		replayable.receivedEncodedLength = body.length;
		return replayable;
	});

	app.addHook("preHandler", async (request, reply) => {
		const pending = pendingKeys.get(request);
		if (pending === undefined) return;
		const at = now();
		purgeNowAndThen(at);
		const ownerId = ownerOf(request);
		const outcome = await records.claim({
			ownerId,
			key: pending.key,
			fingerprint: pending.fingerprint,
			now: at,
			lockedUntil: at + settings.lockMs,
		});
		metrics.idempotencyOutcomes.inc({ outcome: outcome.state });
		switch (outcome.state) {
			case "claimed": {
				const key = pending.key;
				activeClaims.set(request, {
					ownerId,
					key,
					deferred: false,
					async settle(response) {
						if (response === undefined || response.status < 200 || response.status >= 300) {
							await records.release(ownerId, key);
						} else {
							await records.complete(ownerId, key, response, now() + settings.ttlMs);
						}
					},
				});
				return;
			}
			case "mismatch":
				throw new AppError("idempotency_key_reused", {
					detail: "this Idempotency-Key was already used with a different request (method, path or body)",
				});
			case "in-progress":
				throw new AppError("idempotency_key_in_use", {
					detail: "a request with this Idempotency-Key is still being processed; retry after it finishes",
					headers: { "retry-after": "1" },
				});
			case "completed":
				return replay(reply, outcome.response);
		}
	});

	app.addHook("onSend", async (request, reply, payload) => {
		const claim = activeClaims.get(request);
		if (claim === undefined || claim.deferred) return payload;
		activeClaims.delete(request);
		const body =
			typeof payload === "string" ? payload : Buffer.isBuffer(payload) ? payload.toString("utf8") : undefined;
		await claim.settle(body === undefined ? undefined : { status: reply.statusCode, headers: headersOf(reply), body });
		return payload;
	});

	// A request that ends without a response (the client left before the handler finished)
	// releases its claim; onSend has already settled every other one.
	app.addHook("onResponse", async (request) => {
		const claim = activeClaims.get(request);
		if (claim === undefined || claim.deferred) return;
		activeClaims.delete(request);
		await claim.settle(undefined);
	});
}

/**
 * For a route that answers as an event stream: the key's record is settled by the route when the
 * stream's final message is known (replays get that message as a plain JSON response).
 */
export function deferIdempotency(request: FastifyRequest): DeferredIdempotency | undefined {
	const claim = activeClaims.get(request);
	if (claim === undefined) return undefined;
	claim.deferred = true;
	return {
		settle(response) {
			activeClaims.delete(request);
			return claim.settle(
				response === undefined
					? undefined
					: {
							status: response.status,
							headers: { "content-type": "application/json; charset=utf-8", ...response.headers },
							body: response.body,
						},
			);
		},
	};
}

function ownerOf(request: FastifyRequest): string {
	// Keys are the caller's own: the same key from two users names two different requests.
	return request.principal === null ? `ip:${request.ip}` : `user:${request.principal.userId}`;
}

function headersOf(reply: FastifyReply): Record<string, string> {
	const headers: Record<string, string> = {};
	for (const name of replayedHeaders) {
		const value = reply.getHeader(name);
		if (value !== undefined) headers[name] = String(value);
	}
	return headers;
}

function replay(reply: FastifyReply, response: StoredResponse): FastifyReply {
	return reply
		.code(response.status)
		.headers(response.headers)
		.header("idempotent-replayed", "true")
		.send(response.body);
}

async function readLimited(payload: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of payload) {
		const buffer = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
		size += buffer.length;
		if (size > limit) throw new AppError("payload_too_large");
		chunks.push(buffer);
	}
	return Buffer.concat(chunks);
}
