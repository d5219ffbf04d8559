import type { ChatModelRequest, FinishReason, ModelResult, TokenUsage } from "../model-port.js";

/** The request and response shapes of OpenAI's Chat Completions, as far as Parley reads them. */

/** OpenAI's reasoning models accept only max_completion_tokens; most other servers only max_tokens. */
export type MaxTokensField = "max_tokens" | "max_completion_tokens";

export function buildChatCompletionsBody(
	request: ChatModelRequest,
	stream: boolean,
	maxTokensField: MaxTokensField,
): Record<string, unknown> {
	const body: Record<string, unknown> = { model: request.model, messages: request.messages };
	if (request.temperature !== undefined) body.temperature = request.temperature;
	if (request.topP !== undefined) body.top_p = request.topP;
	if (request.maxTokens !== undefined) body[maxTokensField] = request.maxTokens;
	if (request.stop !== undefined && request.stop.length > 0) body.stop = request.stop;
	if (request.seed !== undefined) body.seed = request.seed;
	if (stream) {
		body.stream = true;
		body.stream_options = { include_usage: true };
	}
	return body;
}

export function toFinishReason(value: unknown): FinishReason {
	switch (value) {
		case "stop":
		case "length":
		case "content_filter":
		case "tool_calls":
			return value;
		case "function_call":
			return "tool_calls";
		default:
			return "other";
	}
}

export function toTokenUsage(value: unknown): TokenUsage | null {
	if (typeof value !== "object" || value === null) return null;
	const usage = value as { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown };
	const promptTokens = typeof usage.prompt_tokens === "number" ? usage.prompt_tokens : undefined;
	const completionTokens = typeof usage.completion_tokens === "number" ? usage.completion_tokens : undefined;
	if (promptTokens === undefined && completionTokens === undefined) return null;
	const prompt = promptTokens ?? 0;
	const completion = completionTokens ?? 0;
	return {
		promptTokens: prompt,
		completionTokens: completion,
		totalTokens: typeof usage.total_tokens === "number" ? usage.total_tokens : prompt + completion,
	};
}

interface CompletionChoice {
	message?: { content?: unknown };
	finish_reason?: unknown;
}

/** Reads a `chat.completion` object; undefined when it does not have that shape. */
export function readChatCompletion(json: unknown): ModelResult | undefined {
	if (typeof json !== "object" || json === null) return undefined;
	const completion = json as { choices?: unknown; usage?: unknown };
	if (!Array.isArray(completion.choices)) return undefined;
	const choice = completion.choices[0] as CompletionChoice | undefined;
	if (choice === undefined || typeof choice !== "object") return undefined;
	const content = choice.message?.content;
	return {
		text: typeof content === "string" ? content : "",
		finishReason: toFinishReason(choice.finish_reason),
		usage: toTokenUsage(completion.usage),
	};
}

/** What a Chat Completions event stream has said so far. */
export interface ChatCompletionsStreamState {
	finishReason: FinishReason | null;
	usage: TokenUsage | null;
	sawDone: boolean;
	/** An `{"error": …}` event some servers (OpenRouter, vLLM) send mid-stream. */
	errorMessage: string | undefined;
}

export function createStreamState(): ChatCompletionsStreamState {
	return { finishReason: null, usage: null, sawDone: false, errorMessage: undefined };
}

interface ChunkChoice {
	index?: unknown;
	delta?: { content?: unknown };
	finish_reason?: unknown;
}

/**
 * Applies one event's data to the state and returns the text it adds to the first choice
 * ("" when none). Throws SyntaxError for data that is not JSON.
 */
export function applyStreamEvent(state: ChatCompletionsStreamState, data: string): string {
	if (data === "[DONE]") {
		state.sawDone = true;
		return "";
	}
	const chunk = JSON.parse(data) as { choices?: unknown; usage?: unknown; error?: unknown };
	if (typeof chunk !== "object" || chunk === null) return "";
	if (chunk.error !== undefined && chunk.error !== null) {
		state.errorMessage = errorMessageOf(chunk) ?? "the upstream reported an error in the stream";
		return "";
	}
	if (chunk.usage !== undefined && chunk.usage !== null) state.usage = toTokenUsage(chunk.usage);
	if (!Array.isArray(chunk.choices)) return "";
	let text = "";
	for (const item of chunk.choices as ChunkChoice[]) {
		if (typeof item !== "object" || item === null || (item.index !== undefined && item.index !== 0)) continue;
		const content = item.delta?.content;
		if (typeof content === "string") text += content;
		if (typeof item.finish_reason === "string") state.finishReason = toFinishReason(item.finish_reason);
	}
	return text;
}

const maxUpstreamMessageLength = 500;

/** The message of an OpenAI-style error body (`{"error":{"message":…}}` and common variants). */
export function errorMessageOf(json: unknown): string | undefined {
	if (typeof json !== "object" || json === null) return undefined;
	const body = json as { error?: unknown; message?: unknown; detail?: unknown };
	let message: unknown;
	if (typeof body.error === "string") message = body.error;
	else if (typeof body.error === "object" && body.error !== null)
		message = (body.error as { message?: unknown }).message;
	message ??= body.message ?? body.detail;
	return typeof message === "string" && message.length > 0 ? shorten(message) : undefined;
}

/** A short excerpt of an upstream error body, for logs and problem details. */
export function upstreamMessageFromBody(text: string): string | undefined {
	const trimmed = text.trim();
	if (trimmed.length === 0) return undefined;
	try {
		return errorMessageOf(JSON.parse(trimmed)) ?? shorten(trimmed);
	} catch {
		return shorten(trimmed);
	}
}

function shorten(text: string): string {
	return text.length > maxUpstreamMessageLength ? `${text.slice(0, maxUpstreamMessageLength)}…` : text;
}
