import { completionObject } from "../chat/completions-format.js";
import { type CompletionBody, estimateCompletionUsage } from "../chat/completions-service.js";
import { createChatCompletionsStreamObserver } from "../llm/openai-wire/chat-completions-stream-observer.js";
import { newId } from "../store/ids.js";

/**
 * Rebuilds a streamed Chat Completion as the `chat.completion` object a non-streaming request
 * would have returned: what an Idempotency-Key repeat of a streaming request replays.
 */
export function createCompletionReplay(body: CompletionBody, model: string) {
	const observer = createChatCompletionsStreamObserver();
	const created = Math.floor(Date.now() / 1000);
	return {
		push(frame: string | Uint8Array): void {
			observer.push(typeof frame === "string" ? Buffer.from(frame) : frame);
		},
		/** The complete response, or undefined when the stream did not end properly. */
		result(): string | undefined {
			const summary = observer.result();
			if (!summary.sawDone || summary.errorMessage !== undefined) return undefined;
			return JSON.stringify(
				completionObject({
					id: `chatcmpl-${newId()}`,
					created,
					model,
					text: summary.text,
					finishReason: summary.finishReason ?? "stop",
					usage: summary.usage ?? estimateCompletionUsage(body.messages, summary.text),
				}),
			);
		},
	};
}
