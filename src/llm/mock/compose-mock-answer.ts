import { parseContextPassages } from "../../rag/context-format.js";
import type { ChatMessage } from "../model-port.js";
import { extractiveAnswer } from "./extractive-answer.js";

/**
 * What the offline mock model says. Kept apart from the model's mechanics (latency, failures,
 * streaming) so that the answer strategy can change — e.g. to answer from retrieved passages —
 * without touching them. Must be deterministic: the same messages always give the same text.
 */
export type ComposeMockAnswer = (messages: readonly ChatMessage[]) => string;

const maxQuotedCharacters = 200;

export const composeMockAnswer: ComposeMockAnswer = (messages) => {
	const prompt = lastUserMessage(messages);
	// With retrieved passages in the system prompt, answer from them (with citations).
	for (const message of messages) {
		if (message.role !== "system") continue;
		const passages = parseContextPassages(message.content);
		if (passages.length > 0) return extractiveAnswer(prompt, passages);
	}
	const quoted = prompt.length > maxQuotedCharacters ? `${truncate(prompt, maxQuotedCharacters)}…` : prompt;
	return `[mock] You said: "${quoted}". Parley's offline mock model answers this way; configure an LLM provider for real answers.`;
};

function lastUserMessage(messages: readonly ChatMessage[]): string {
	for (let index = messages.length - 1; index >= 0; index--) {
		const message = messages[index];
		if (message?.role === "user") return message.content.trim();
	}
	return "";
}

/** Cuts at `length` UTF-16 units without splitting a surrogate pair. */
function truncate(text: string, length: number): string {
	const lastCode = text.charCodeAt(length - 1);
	const splitsPair = lastCode >= 0xd800 && lastCode <= 0xdbff;
	return text.slice(0, splitsPair ? length - 1 : length);
}
