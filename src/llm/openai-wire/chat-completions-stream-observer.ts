import type { FinishReason, TokenUsage } from "../model-port.js";
import { applyStreamEvent, createStreamState } from "./chat-completions-format.js";
import { createSseDecoder } from "./sse-decoder.js";

export interface ChatCompletionsStreamSummary {
	/** The first choice's text, concatenated. */
	text: string;
	/** Null when the stream never carried a finish_reason. */
	finishReason: FinishReason | null;
	/** From the final usage chunk; null when the upstream sent none. */
	usage: TokenUsage | null;
	sawDone: boolean;
	/** Set when the upstream sent an `{"error": …}` event. */
	errorMessage: string | undefined;
}

/**
 * Watches a forwarded Chat Completions event stream for accounting, without touching the bytes
 * that are relayed: feed it each raw chunk in order, then read the summary.
 */
export interface ChatCompletionsStreamObserver {
	push(chunk: Uint8Array): void;
	/** True once the stream carried answer text, a finish_reason or [DONE]: the answer has begun. */
	answerStarted(): boolean;
	/** The upstream's `{"error": …}` message, once one came. */
	errorMessage(): string | undefined;
	/** Flushes what is buffered and summarises; call once the stream has ended. */
	result(): ChatCompletionsStreamSummary;
}

export function createChatCompletionsStreamObserver(): ChatCompletionsStreamObserver {
	const decoder = createSseDecoder();
	const state = createStreamState();
	const textParts: string[] = [];
	let summary: ChatCompletionsStreamSummary | undefined;

	const onData = (data: string): void => {
		try {
			const text = applyStreamEvent(state, data);
			if (text.length > 0) textParts.push(text);
		} catch {
			// A malformed event is the client's to notice; accounting keeps what it could read.
		}
	};

	return {
		push(chunk) {
			decoder.push(chunk, onData);
		},
		answerStarted() {
			return textParts.length > 0 || state.finishReason !== null || state.sawDone;
		},
		errorMessage() {
			return state.errorMessage;
		},
		result() {
			if (summary === undefined) {
				decoder.end(onData);
				summary = {
					text: textParts.join(""),
					finishReason: state.finishReason,
					usage: state.usage,
					sawDone: state.sawDone,
					errorMessage: state.errorMessage,
				};
			}
			return summary;
		},
	};
}
