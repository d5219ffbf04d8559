import { setTimeout as sleep } from "node:timers/promises";
import type {
	ChatModelRequest,
	FinishReason,
	LanguageModelAdapter,
	ModelCallOptions,
	ModelResult,
	ModelStreamPart,
} from "../model-port.js";
import { ProviderCallError } from "../model-port.js";
import { estimateMessageTokens, estimateTokens, truncateToTokens } from "../token-estimate.js";
import { type ComposeMockAnswer, composeMockAnswer } from "./compose-mock-answer.js";

export interface MockModelOptions {
	/** Waited before answering (abortable). */
	latencyMs: number;
	/** Waited between streamed chunks. */
	streamDelayMs: number;
	/** Fraction of calls, in [0, 1], that fail with a simulated 503. */
	failureRate: number;
	/** Seeds the failure draws, so a run's failures are reproducible. */
	seed: number;
	/** Replaces the answer strategy (the default quotes the last user message). */
	composeAnswer?: ComposeMockAnswer;
}

export const mockProviderName = "mock";

/**
 * The offline model: deterministic answers, real token accounting, and optional latency and
 * failures so that the resilience machinery and the benchmarks have something to chew on.
 */
export function createMockModel(options: MockModelOptions): LanguageModelAdapter {
	const { latencyMs, streamDelayMs, failureRate } = options;
	const compose = options.composeAnswer ?? composeMockAnswer;
	const random = createSeededRandom(options.seed);

	async function answer(request: ChatModelRequest, callOptions: ModelCallOptions): Promise<ModelResult> {
		const signal = callOptions.signal;
		throwIfAborted(signal);
		// Drawn before waiting, so the failure sequence does not depend on which calls were aborted.
		const fails = failureRate > 0 && random() < failureRate;
		if (latencyMs > 0) await wait(latencyMs, signal);
		if (fails) {
			throw new ProviderCallError({
				provider: mockProviderName,
				kind: "http",
				status: 503,
				message: "mock model: simulated failure",
				upstreamMessage: "Simulated failure (MOCK_LLM_FAILURE_RATE)",
			});
		}
		return composeResult(compose(request.messages), request);
	}

	return {
		provider: mockProviderName,
		complete: answer,
		async *stream(request: ChatModelRequest, callOptions: ModelCallOptions): AsyncIterable<ModelStreamPart> {
			const result = await answer(request, callOptions);
			const signal = callOptions.signal;
			const text = result.text;
			let start = 0;
			while (start < text.length) {
				if (start > 0) {
					if (streamDelayMs > 0) await wait(streamDelayMs, signal);
					else throwIfAborted(signal);
				}
				const space = text.indexOf(" ", start);
				const end = space === -1 ? text.length : space + 1;
				yield { type: "text-delta", text: text.slice(start, end) };
				start = end;
			}
			yield { type: "finish", finishReason: result.finishReason, usage: result.usage };
		},
	};
}

function composeResult(fullText: string, request: ChatModelRequest): ModelResult {
	let text = cutAtStopSequence(fullText, request.stop);
	let finishReason: FinishReason = "stop";
	let completionTokens = estimateTokens(text);
	const maxTokens = request.maxTokens;
	if (maxTokens !== undefined && completionTokens > maxTokens) {
		text = truncateToTokens(text, maxTokens);
		// Re-encoding a cut text can merge differently; the limit is what the caller asked for.
		completionTokens = Math.min(maxTokens, estimateTokens(text));
		finishReason = "length";
	}
	const promptTokens = estimateMessageTokens(request.messages);
	return {
		text,
		finishReason,
		usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
	};
}

function cutAtStopSequence(text: string, stop: string[] | undefined): string {
	if (stop === undefined || stop.length === 0) return text;
	let cut = text.length;
	for (const sequence of stop) {
		if (sequence.length === 0) continue;
		const index = text.indexOf(sequence);
		if (index !== -1 && index < cut) cut = index;
	}
	return cut === text.length ? text : text.slice(0, cut);
}

async function wait(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
	try {
		await sleep(milliseconds, undefined, signal === undefined ? undefined : { signal });
	} catch (error) {
		throw abortedError(signal, error);
	}
}

function throwIfAborted(signal: AbortSignal | undefined): void {
	if (signal?.aborted) throw abortedError(signal, signal.reason);
}

function abortedError(signal: AbortSignal | undefined, cause: unknown): ProviderCallError {
	return new ProviderCallError({
		provider: mockProviderName,
		kind: "aborted",
		message: "mock model: call aborted",
		cause: signal?.reason ?? cause,
	});
}

/** mulberry32: tiny, fast and good enough to spread simulated failures evenly. */
export function createSeededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let mixed = state;
		mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
		mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
		return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
	};
}
