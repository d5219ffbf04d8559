import type { FinishReason, TokenUsage } from "../llm/model-port.js";

/** Chat Completions wire objects for models Parley answers itself (mock, AI SDK providers). */

const usageObject = (usage: TokenUsage) => ({
	prompt_tokens: usage.promptTokens,
	completion_tokens: usage.completionTokens,
	total_tokens: usage.totalTokens,
});

export function completionObject(input: {
	id: string;
	created: number;
	model: string;
	text: string;
	finishReason: FinishReason;
	usage: TokenUsage;
}) {
	return {
		id: input.id,
		object: "chat.completion",
		created: input.created,
		model: input.model,
		choices: [
			{
				index: 0,
				message: { role: "assistant", content: input.text, refusal: null },
				logprobs: null,
				finish_reason: toOpenAiFinishReason(input.finishReason),
			},
		],
		usage: usageObject(input.usage),
		system_fingerprint: null,
	};
}

export function chunkFrame(
	base: { id: string; created: number; model: string },
	delta: { role?: "assistant"; content?: string },
	finishReason: FinishReason | null,
): string {
	const chunk = {
		id: base.id,
		object: "chat.completion.chunk",
		created: base.created,
		model: base.model,
		choices: [
			{
				index: 0,
				delta,
				logprobs: null,
				finish_reason: finishReason === null ? null : toOpenAiFinishReason(finishReason),
			},
		],
	};
	return `data: ${JSON.stringify(chunk)}\n\n`;
}

export function usageFrame(base: { id: string; created: number; model: string }, usage: TokenUsage): string {
	const chunk = {
		id: base.id,
		object: "chat.completion.chunk",
		created: base.created,
		model: base.model,
		choices: [],
		usage: usageObject(usage),
	};
	return `data: ${JSON.stringify(chunk)}\n\n`;
}

export const doneFrame = "data: [DONE]\n\n";

function toOpenAiFinishReason(reason: FinishReason): string {
	return reason === "error" || reason === "other" ? "stop" : reason;
}

/** The text of a Chat Completions message content: a string, or text parts of an array. */
export function contentText(content: unknown): string {
	if (typeof content === "string") return content;
	if (!Array.isArray(content)) return "";
	let text = "";
	for (const part of content) {
		if (part && typeof part === "object" && (part as { type?: unknown }).type === "text") {
			const value = (part as { text?: unknown }).text;
			if (typeof value === "string") text += text === "" ? value : `\n${value}`;
		}
	}
	return text;
}
