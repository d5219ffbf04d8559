import type { Dispatcher } from "undici";
import type {
	ChatCompletionsPassThrough,
	ChatModelRequest,
	LanguageModelAdapter,
	ModelCallOptions,
	ModelResult,
	ModelStreamPart,
	PassThroughJsonResponse,
} from "../model-port.js";
import { ProviderCallError } from "../model-port.js";
import {
	applyStreamEvent,
	buildChatCompletionsBody,
	createStreamState,
	type MaxTokensField,
	readChatCompletion,
} from "./chat-completions-format.js";
import { createSseDecoder } from "./sse-decoder.js";
import {
	type ChatCompletionsEndpoint,
	createUpstreamPools,
	discardBody,
	httpStatusError,
	toProviderCallError,
} from "./upstream-http.js";

export interface OpenAIWireAdapterOptions {
	/** Provider name reported in errors and metrics, e.g. "openai", "openrouter". */
	provider: string;
	/**
	 * Base URL up to the API version, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1.
	 * Undefined only for an adapter whose every call brings its own (users' openai-compatible keys).
	 */
	baseUrl: string | undefined;
	apiKey?: string | undefined;
	/** Extra headers sent with every call (e.g. OpenRouter's HTTP-Referer and X-Title). */
	headers?: Record<string, string> | undefined;
	connectTimeoutMs: number;
	/** Until the response headers arrive. */
	timeoutMs: number;
	/** The longest silence within a response body or stream; timeoutMs unless given. */
	idleTimeoutMs?: number | undefined;
	connections?: number | undefined;
	/** Which body field carries ChatModelRequest.maxTokens; "max_tokens" unless told. */
	maxTokensField?: MaxTokensField | undefined;
}

export interface OpenAIWireAdapter extends LanguageModelAdapter {
	readonly chatCompletions: ChatCompletionsPassThrough;
	close(): Promise<void>;
}

/**
 * An adapter for every server that speaks Chat Completions, on undici directly: keep-alive pools,
 * bodies serialized once, and upstream bytes relayed untouched on the pass-through path.
 */
export function createOpenAIWireAdapter(options: OpenAIWireAdapterOptions): OpenAIWireAdapter {
	const provider = options.provider;
	const maxTokensField = options.maxTokensField ?? "max_tokens";
	const pools = createUpstreamPools(options);
	const defaultEndpoint = options.baseUrl === undefined ? undefined : pools.endpointFor(options.baseUrl);
	const jsonHeaders = buildHeaders(options.apiKey, options.headers, "application/json");
	const eventStreamHeaders = buildHeaders(options.apiKey, options.headers, "text/event-stream");

	function endpointFor(callOptions: ModelCallOptions): ChatCompletionsEndpoint {
		const baseUrl = callOptions.credentials?.baseUrl;
		if (defaultEndpoint !== undefined && (baseUrl === undefined || baseUrl === options.baseUrl)) return defaultEndpoint;
		try {
			if (baseUrl === undefined) throw new TypeError("no base URL is configured for this provider");
			return pools.endpointFor(baseUrl);
		} catch (error) {
			throw new ProviderCallError({
				provider,
				kind: "invalid-response",
				message: `${provider}: unusable base URL`,
				upstreamMessage: error instanceof Error ? error.message : undefined,
				cause: error,
			});
		}
	}

	function headersFor(callOptions: ModelCallOptions, stream: boolean): Record<string, string> {
		const credentials = callOptions.credentials;
		if (credentials === undefined) return stream ? eventStreamHeaders : jsonHeaders;
		return buildHeaders(credentials.apiKey, options.headers, stream ? "text/event-stream" : "application/json");
	}

	/** Sends the body; resolves with a 2xx response whose body the caller must consume or destroy. */
	async function post(body: string, stream: boolean, callOptions: ModelCallOptions): Promise<Dispatcher.ResponseData> {
		const endpoint = endpointFor(callOptions);
		const signal = callOptions.signal;
		let response: Dispatcher.ResponseData;
		try {
			response = await endpoint.pool.request({
				path: endpoint.path,
				method: "POST",
				headers: headersFor(callOptions, stream),
				body,
				signal: signal ?? null,
			});
		} catch (error) {
			throw toProviderCallError(provider, error, signal, "request");
		}
		if (response.statusCode < 200 || response.statusCode > 299) throw await httpStatusError(provider, response);
		return response;
	}

	async function readJson(response: Dispatcher.ResponseData, signal: AbortSignal | undefined) {
		let bytes: Uint8Array;
		try {
			bytes = await response.body.bytes();
		} catch (error) {
			throw toProviderCallError(provider, error, signal, "body");
		}
		let json: unknown;
		try {
			json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
		} catch (error) {
			throw invalidResponse("the response body is not JSON", error);
		}
		if (typeof json !== "object" || json === null || Array.isArray(json)) {
			throw invalidResponse("the response body is not a JSON object");
		}
		return { bytes, json: json as Record<string, unknown> };
	}

	function invalidResponse(reason: string, cause?: unknown): ProviderCallError {
		return new ProviderCallError({
			provider,
			kind: "invalid-response",
			message: `${provider}: ${reason}`,
			upstreamMessage: reason,
			cause,
		});
	}

	async function complete(request: ChatModelRequest, callOptions: ModelCallOptions): Promise<ModelResult> {
		const body = JSON.stringify(buildChatCompletionsBody(request, false, maxTokensField));
		const response = await post(body, false, callOptions);
		const { json } = await readJson(response, callOptions.signal);
		const result = readChatCompletion(json);
		if (result === undefined) throw invalidResponse("the response is not a chat.completion");
		return result;
	}

	async function* stream(request: ChatModelRequest, callOptions: ModelCallOptions): AsyncIterable<ModelStreamPart> {
		const body = JSON.stringify(buildChatCompletionsBody(request, true, maxTokensField));
		const response = await post(body, true, callOptions);
		const decoder = createSseDecoder();
		const state = createStreamState();
		const events: string[] = [];
		const collect = (data: string): void => {
			events.push(data);
		};
		let ended = false;
		try {
			const chunks = response.body as AsyncIterable<Buffer>;
			const iterator = chunks[Symbol.asyncIterator]();
			while (!ended) {
				let next: IteratorResult<Buffer>;
				try {
					next = await iterator.next();
				} catch (error) {
					throw toProviderCallError(provider, error, callOptions.signal, "body");
				}
				if (next.done) {
					decoder.end(collect);
					ended = true;
				} else {
					decoder.push(next.value, collect);
				}
				for (const data of events) {
					let text: string;
					try {
						text = applyStreamEvent(state, data);
					} catch (error) {
						throw invalidResponse("an event in the stream is not JSON", error);
					}
					if (state.errorMessage !== undefined) {
						throw new ProviderCallError({
							provider,
							kind: "stream",
							message: `${provider}: the upstream reported an error mid-stream`,
							upstreamMessage: state.errorMessage,
						});
					}
					if (text.length > 0) yield { type: "text-delta", text };
				}
				events.length = 0;
			}
		} finally {
			// Early exit (consumer stopped, or an error above): free the socket instead of leaving it half-read.
			if (!ended) discardBody(response.body);
		}
		if (!state.sawDone && state.finishReason === null) {
			throw new ProviderCallError({
				provider,
				kind: "stream",
				message: `${provider}: the stream ended before the model finished`,
			});
		}
		yield { type: "finish", finishReason: state.finishReason ?? "other", usage: state.usage };
	}

	const chatCompletions: ChatCompletionsPassThrough = {
		async forwardJson(body, callOptions): Promise<PassThroughJsonResponse> {
			const response = await post(JSON.stringify(body), false, callOptions);
			const { bytes, json } = await readJson(response, callOptions.signal);
			return { body: bytes, json };
		},
		async forwardStream(body, callOptions) {
			const response = await post(JSON.stringify(body), true, callOptions);
			return relayBody(provider, response.body, callOptions.signal);
		},
	};

	return {
		provider,
		complete,
		stream,
		chatCompletions,
		// undici's headersTimeout (LLM_TIMEOUT_MS) bounds the wait for the answer and its bodyTimeout
		// (LLM_STREAM_IDLE_TIMEOUT_MS) every gap in its body.
		enforcesTimeouts: true,
		close: () => pools.close(),
	};
}

function buildHeaders(
	apiKey: string | undefined,
	extraHeaders: Record<string, string> | undefined,
	accept: string,
): Record<string, string> {
	const headers: Record<string, string> = {
		...extraHeaders,
		"content-type": "application/json",
		accept,
	};
	if (apiKey !== undefined && apiKey.length > 0) headers.authorization = `Bearer ${apiKey}`;
	return headers;
}

/**
 * The upstream body as an async iterable of its raw chunks. Stopping early (return()) or never
 * iterating and calling return() destroys the body, so the socket is not left half-read.
 */
function relayBody(
	provider: string,
	body: Dispatcher.ResponseData["body"],
	signal: AbortSignal | undefined,
): AsyncIterable<Uint8Array> {
	const source = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
	let finished = false;
	const iterator: AsyncIterableIterator<Uint8Array> = {
		async next() {
			try {
				const next = await source.next();
				if (next.done) finished = true;
				return next;
			} catch (error) {
				finished = true;
				throw toProviderCallError(provider, error, signal, "body");
			}
		},
		async return() {
			if (!finished) {
				finished = true;
				discardBody(body);
			}
			return { done: true, value: undefined };
		},
		[Symbol.asyncIterator]() {
			return iterator;
		},
	};
	return iterator;
}
