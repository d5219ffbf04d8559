/**
 * Parley's model port: deliberately small and shaped like OpenAI Chat Completions, the
 * protocol most providers speak. Adapters: the OpenAI-wire pass-through (undici), the AI SDK
 * (providers with other protocols) and the mock. Resilience (timeouts, retries, breakers) lives
 * in the router that wraps adapters, not in the adapters.
 */

export type ChatRole = "system" | "user" | "assistant";

export interface ChatMessage {
	role: ChatRole;
	content: string;
}

export interface ChatModelRequest {
	/** The provider's own model id (the router strips Parley's `provider/` prefix). */
	model: string;
	messages: ChatMessage[];
	temperature?: number | undefined;
	topP?: number | undefined;
	maxTokens?: number | undefined;
	stop?: string[] | undefined;
	seed?: number | undefined;
}

export interface ProviderCredentials {
	apiKey: string;
	baseUrl?: string | undefined;
}

export interface ModelCallOptions {
	signal?: AbortSignal | undefined;
	/** Per-call credentials (a user's own key); the adapter's configured key otherwise. */
	credentials?: ProviderCredentials | undefined;
}

export interface TokenUsage {
	promptTokens: number;
	completionTokens: number;
	totalTokens: number;
}

export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls" | "error" | "other";

export interface ModelResult {
	text: string;
	finishReason: FinishReason;
	/** Null when the provider reported none; callers estimate with a tokenizer. */
	usage: TokenUsage | null;
}

export type ModelStreamPart =
	| { type: "text-delta"; text: string }
	| { type: "finish"; finishReason: FinishReason; usage: TokenUsage | null };

/**
 * Chat Completions on the wire, for adapters whose upstream speaks it: the request body is
 * forwarded as validated and the upstream bytes come back untouched.
 */
export interface ChatCompletionsPassThrough {
	/** Non-streaming. Resolves only for a 2xx; otherwise throws ProviderCallError. */
	forwardJson(body: Record<string, unknown>, options: ModelCallOptions): Promise<PassThroughJsonResponse>;
	/**
	 * Streaming. Resolves once the upstream answered 2xx with an event stream; the iterable yields
	 * the raw SSE bytes as they arrive. A non-2xx status throws ProviderCallError before any byte.
	 */
	forwardStream(body: Record<string, unknown>, options: ModelCallOptions): Promise<AsyncIterable<Uint8Array>>;
}

export interface PassThroughJsonResponse {
	/** The upstream's body bytes, to be sent on as they are. */
	body: Uint8Array;
	/** The same body parsed, for usage accounting. */
	json: Record<string, unknown>;
}

export interface LanguageModelAdapter {
	/** Provider name, as in LLM_PROVIDER (e.g. "openai", "mock"). */
	readonly provider: string;
	complete(request: ChatModelRequest, options: ModelCallOptions): Promise<ModelResult>;
	/** Ends with exactly one `finish` part, or throws. */
	stream(request: ChatModelRequest, options: ModelCallOptions): AsyncIterable<ModelStreamPart>;
	readonly chatCompletions?: ChatCompletionsPassThrough | undefined;
	/**
	 * True when the adapter bounds every call by its own timeouts (the wire adapter's undici
	 * headers/body timeouts). The router then adds no timer or abort signal of its own per attempt:
	 * on the proxy hot path those cost more than everything else the router does.
	 */
	readonly enforcesTimeouts?: boolean | undefined;
	/** Releases connection pools. */
	close?(): Promise<void>;
}

export type ProviderFailureKind = "http" | "network" | "timeout" | "aborted" | "stream" | "invalid-response";

/**
 * A failed call to a provider, as adapters report it. The router decides from `retryable`
 * whether to try again and maps the final failure to an AppError for the client.
 */
export class ProviderCallError extends Error {
	readonly provider: string;
	readonly kind: ProviderFailureKind;
	readonly status: number | undefined;
	readonly retryable: boolean;
	/** From the upstream's Retry-After, when it sent one. */
	readonly retryAfterMs: number | undefined;
	/** A short excerpt of the upstream's error body, for logs and the problem detail. */
	readonly upstreamMessage: string | undefined;

	constructor(options: {
		provider: string;
		kind: ProviderFailureKind;
		message: string;
		status?: number | undefined;
		retryAfterMs?: number | undefined;
		upstreamMessage?: string | undefined;
		cause?: unknown;
	}) {
		super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
		this.name = "ProviderCallError";
		this.provider = options.provider;
		this.kind = options.kind;
		this.status = options.status;
		this.retryAfterMs = options.retryAfterMs;
		this.upstreamMessage = options.upstreamMessage;
		this.retryable = isRetryableFailure(options.kind, options.status);
	}
}

const retryableStatuses = new Set([408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529]);

export function isRetryableFailure(kind: ProviderFailureKind, status: number | undefined): boolean {
	switch (kind) {
		case "network":
		case "timeout":
		case "stream":
			return true;
		case "aborted":
		case "invalid-response":
			return false;
		case "http":
			return status !== undefined && retryableStatuses.has(status);
	}
}
