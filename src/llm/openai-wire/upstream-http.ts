import { type Dispatcher, Pool } from "undici";
import { ProviderCallError, type ProviderFailureKind } from "../model-port.js";
import { headerValue, parseRetryAfterMs } from "../retry-after.js";
import { upstreamMessageFromBody } from "./chat-completions-format.js";

/**
 * Keep-alive connection pools to Chat Completions servers, one per origin, and the mapping of
 * undici's failures to ProviderCallError.
 */

export interface UpstreamPoolSettings {
	connectTimeoutMs: number;
	/** Waiting for the response headers. */
	timeoutMs: number;
	/** Every gap between body chunks (a stream's idle timeout); timeoutMs unless given. */
	idleTimeoutMs?: number | undefined;
	/** Maximum sockets per origin; unlimited when omitted. */
	connections?: number | undefined;
}

export interface ChatCompletionsEndpoint {
	readonly pool: Pool;
	/** The base URL's path plus /chat/completions, e.g. /api/v1/chat/completions. */
	readonly path: string;
}

export interface UpstreamPools {
	endpointFor(baseUrl: string): ChatCompletionsEndpoint;
	close(): Promise<void>;
}

/** Per-call base URLs (users' own servers) are few but unbounded; old ones are let go. */
const maxCachedEndpoints = 64;

export function createUpstreamPools(settings: UpstreamPoolSettings): UpstreamPools {
	const poolsByOrigin = new Map<string, Pool>();
	const endpointsByBaseUrl = new Map<string, ChatCompletionsEndpoint>();

	function poolFor(origin: string): Pool {
		let pool = poolsByOrigin.get(origin);
		if (pool === undefined) {
			pool = new Pool(origin, {
				connections: settings.connections ?? null,
				connect: { timeout: settings.connectTimeoutMs },
				headersTimeout: settings.timeoutMs,
				bodyTimeout: settings.idleTimeoutMs ?? settings.timeoutMs,
			});
			poolsByOrigin.set(origin, pool);
		}
		return pool;
	}

	function evictOldest(): void {
		const oldest = endpointsByBaseUrl.keys().next();
		if (oldest.done) return;
		const endpoint = endpointsByBaseUrl.get(oldest.value);
		endpointsByBaseUrl.delete(oldest.value);
		if (endpoint === undefined) return;
		for (const other of endpointsByBaseUrl.values()) if (other.pool === endpoint.pool) return;
		for (const [origin, pool] of poolsByOrigin) {
			if (pool === endpoint.pool) poolsByOrigin.delete(origin);
		}
		// close() lets requests in flight finish.
		endpoint.pool.close().catch(() => {});
	}

	return {
		endpointFor(baseUrl) {
			let endpoint = endpointsByBaseUrl.get(baseUrl);
			if (endpoint !== undefined) return endpoint;
			const url = new URL(baseUrl);
			if (url.protocol !== "http:" && url.protocol !== "https:") {
				throw new TypeError(`the base URL must be http or https: ${baseUrl}`);
			}
			endpoint = { pool: poolFor(url.origin), path: `${url.pathname.replace(/\/+$/, "")}/chat/completions` };
			if (endpointsByBaseUrl.size >= maxCachedEndpoints) evictOldest();
			endpointsByBaseUrl.set(baseUrl, endpoint);
			return endpoint;
		},
		async close() {
			const pools = [...poolsByOrigin.values()];
			poolsByOrigin.clear();
			endpointsByBaseUrl.clear();
			await Promise.all(pools.map((pool) => pool.close()));
		},
	};
}

const timeoutCodes = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/**
 * Maps what undici threw. `phase` says whether the response had started: a failure while
 * reading an event stream is a broken stream, before that a network failure.
 */
export function toProviderCallError(
	provider: string,
	error: unknown,
	signal: AbortSignal | null | undefined,
	phase: "request" | "body",
): ProviderCallError {
	if (error instanceof ProviderCallError) return error;
	if (signal?.aborted) {
		return new ProviderCallError({ provider, kind: "aborted", message: `${provider}: call aborted`, cause: error });
	}
	const code = (error as { code?: unknown } | null)?.code;
	let kind: ProviderFailureKind = phase === "body" ? "stream" : "network";
	if (typeof code === "string" && timeoutCodes.has(code)) kind = "timeout";
	const detail = error instanceof Error ? error.message : String(error);
	return new ProviderCallError({
		provider,
		kind,
		message: `${provider}: ${kind === "timeout" ? "timed out" : "connection failed"} (${typeof code === "string" ? `${code}: ` : ""}${detail})`,
		cause: error,
	});
}

const maxErrorBodyBytes = 64 * 1024;

/**
 * Builds the error for a non-2xx answer. Reads (a bounded part of) the body first so that the
 * socket goes back to the pool instead of being left half-read.
 */
export async function httpStatusError(provider: string, response: Dispatcher.ResponseData): Promise<ProviderCallError> {
	const text = await readBoundedText(response.body);
	const status = response.statusCode;
	const headers = response.headers;
	return new ProviderCallError({
		provider,
		kind: "http",
		status,
		message: `${provider}: upstream answered HTTP ${status}`,
		retryAfterMs: parseRetryAfterMs(headerValue(headers["retry-after-ms"]), headerValue(headers["retry-after"])),
		upstreamMessage: upstreamMessageFromBody(text),
	});
}

async function readBoundedText(body: Dispatcher.ResponseData["body"]): Promise<string> {
	const chunks: Buffer[] = [];
	let size = 0;
	try {
		for await (const chunk of body as AsyncIterable<Buffer>) {
			chunks.push(chunk);
			size += chunk.length;
			if (size > maxErrorBodyBytes) {
				discardBody(body);
				break;
			}
		}
	} catch {
		// The status says enough; a body cut short only costs us the message.
	}
	return Buffer.concat(chunks).toString("utf8", 0, Math.min(size, maxErrorBodyBytes));
}

const ignore = (): void => {};

/**
 * Drops a response body that will not be read to its end. undici reports the destruction as an
 * "aborted" error event, which nobody is left to hear: without a listener it would crash the process.
 */
export function discardBody(body: Dispatcher.ResponseData["body"]): void {
	if (body.destroyed) return;
	body.on("error", ignore);
	body.destroy();
}
