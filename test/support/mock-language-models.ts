import { MockLanguageModelV4 } from "ai/test";

/** What a provider reports for a short structured answer; the AI SDK requires usage on every result. */
const usage = {
	inputTokens: { total: 120, noCache: 120, cacheRead: undefined, cacheWrite: undefined },
	outputTokens: { total: 40, text: 40, reasoning: undefined },
};

/** An AI SDK model that answers each call with the next of `texts` (the last one repeats). */
export function modelAnswering(...texts: string[]): MockLanguageModelV4 {
	let call = 0;
	return new MockLanguageModelV4({
		provider: "recorded",
		modelId: "recorded-model",
		doGenerate: async () => {
			const text = texts[Math.min(call, texts.length - 1)] ?? "";
			call += 1;
			return {
				content: [{ type: "text", text }],
				finishReason: { unified: "stop", raw: "stop" },
				usage,
				warnings: [],
			};
		},
	});
}

/** An AI SDK model whose every call fails like an unreachable provider. */
export function modelFailing(message = "connect ECONNREFUSED 127.0.0.1:9"): MockLanguageModelV4 {
	return new MockLanguageModelV4({
		provider: "recorded",
		modelId: "unreachable-model",
		doGenerate: async () => {
			throw new Error(message);
		},
	});
}

/** The prompt text the model was sent on its `index`-th call (system and user parts joined). */
export function promptOf(model: MockLanguageModelV4, index = 0): string {
	const call = model.doGenerateCalls[index];
	if (call === undefined) throw new Error(`the model was not called ${index + 1} time(s)`);
	return JSON.stringify(call.prompt);
}
