import { countTokens, decode, encode } from "gpt-tokenizer/encoding/o200k_base";
import type { ChatMessage, TokenUsage } from "./model-port.js";

/**
 * Token estimates with o200k_base, the encoding of the GPT-4o / 4.1 / o-series family. Other
 * providers tokenize differently; this is an estimate for budgets and for providers that report
 * no usage, not an invoice.
 */

// User text may contain "<|endoftext|>" and friends; the default options would throw on them.
const plainText = { disallowedSpecial: new Set<string>() };

/** Tokens OpenAI adds around every message (<|start|>, role, <|message|>, <|end|>). */
const tokensPerMessage = 4;
/** Every reply is primed with <|start|>assistant<|message|>. */
const tokensPerReply = 3;

/**
 * Chat re-sends the same system prompt and history every turn, so counts of recent texts are
 * remembered. Bounded in entries and text length; cleared wholesale when full (cheaper than LRU
 * bookkeeping on every call).
 */
const cachedCounts = new Map<string, number>();
const maxCachedTexts = 10_000;
const maxCachedTextLength = 4_096;

/**
 * BPE merging is quadratic in the length of one pre-token, and a run of spaces or of characters
 * without spaces is one pre-token: 40 k spaces take ~1 s, a 1 MB run would take minutes. Long runs
 * are therefore cut every 64 characters (a separator costs about one extra token per 64
 * characters, on pathological input only).
 */
const longRunCheck = /\S{257}|\s{257}/;
const longNonSpaceRun = /\S{64}(?=\S)/g;
const longSpaceRun = /\s{64}(?=\s)/g;

function countLinear(text: string): number {
	if (text.length <= 256 || !longRunCheck.test(text)) return countTokens(text, plainText);
	return countTokens(text.replace(longNonSpaceRun, "$& ").replace(longSpaceRun, "$&."), plainText);
}

export function estimateTokens(text: string): number {
	if (text.length === 0) return 0;
	if (text.length > maxCachedTextLength) return countLinear(text);
	let count = cachedCounts.get(text);
	if (count === undefined) {
		count = countLinear(text);
		if (cachedCounts.size >= maxCachedTexts) cachedCounts.clear();
		cachedCounts.set(text, count);
	}
	return count;
}

export function estimateMessageTokens(messages: readonly ChatMessage[]): number {
	let total = tokensPerReply;
	for (const message of messages) total += tokensPerMessage + estimateTokens(message.content);
	return total;
}

/** Usage as the provider would have reported it, for providers that report none. */
export function estimateUsage(messages: readonly ChatMessage[], completion: string): TokenUsage {
	const promptTokens = estimateMessageTokens(messages);
	const completionTokens = estimateTokens(completion);
	return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

/** The longest prefix of `text` that fits in `maxTokens` tokens. */
export function truncateToTokens(text: string, maxTokens: number): string {
	if (maxTokens <= 0) return "";
	const tokens = encode(text, plainText);
	if (tokens.length <= maxTokens) return text;
	return decode(tokens.slice(0, maxTokens));
}
