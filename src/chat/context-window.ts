import type { ChatMessage } from "../llm/model-port.js";
import type { InteractionRecord } from "../store/store-port.js";

/** Tokens each message costs beyond its text in Chat Completions accounting. */
const perMessageOverhead = 4;

export interface ContextBudget {
	/** The model's whole context window, in tokens. */
	contextTokens: number;
	/** Tokens kept free for the answer. */
	reservedForAnswer: number;
}

/**
 * The messages sent to the model: system prompt, as much recent history as fits the budget
 * (newest turns win), then the new prompt. Token counts of history come from what was stored
 * with each turn, so nothing old is re-tokenized on the hot path.
 */
export function buildConversationMessages(input: {
	system: string | null;
	systemTokens: number;
	history: InteractionRecord[];
	prompt: string;
	promptTokens: number;
	budget: ContextBudget;
}): { messages: ChatMessage[]; fits: boolean; turnsIncluded: number } {
	let remaining =
		input.budget.contextTokens -
		input.budget.reservedForAnswer -
		input.promptTokens -
		perMessageOverhead -
		(input.system ? input.systemTokens + perMessageOverhead : 0);
	if (remaining < 0) return { messages: [], fits: false, turnsIncluded: 0 };

	let firstIncluded = input.history.length;
	for (let index = input.history.length - 1; index >= 0; index--) {
		const turn = input.history[index] as InteractionRecord;
		const cost = turn.promptTextTokens + turn.completionTokens + 2 * perMessageOverhead;
		if (cost > remaining) break;
		remaining -= cost;
		firstIncluded = index;
	}

	const messages: ChatMessage[] = [];
	if (input.system) messages.push({ role: "system", content: input.system });
	for (let index = firstIncluded; index < input.history.length; index++) {
		const turn = input.history[index] as InteractionRecord;
		messages.push({ role: "user", content: turn.prompt }, { role: "assistant", content: turn.response });
	}
	messages.push({ role: "user", content: input.prompt });
	return { messages, fits: true, turnsIncluded: input.history.length - firstIncluded };
}

/** A conversation's title: its first prompt, cut at a word boundary. */
export function titleFromPrompt(prompt: string, maximumLength = 80): string {
	const flat = prompt.replace(/\s+/g, " ").trim();
	if (flat.length <= maximumLength) return flat || "New conversation";
	const cut = flat.slice(0, maximumLength);
	const lastSpace = cut.lastIndexOf(" ");
	return `${(lastSpace > maximumLength / 2 ? cut.slice(0, lastSpace) : cut).trimEnd()}…`;
}
