import type { CallRoute } from "./call-route.js";
import { ProviderCallError } from "./model-port.js";
import {
	type ChatCompletionsStreamSummary,
	createChatCompletionsStreamObserver,
} from "./openai-wire/chat-completions-stream-observer.js";

/** Streams that outlive the attempt that opened them: signal handling and pass-through accounting. */

/**
 * A forwarded event stream: the upstream's bytes as they came, plus what they said, so that the
 * caller can account for the call without parsing the stream a second time.
 */
export interface ForwardedChatCompletionsStream extends AsyncIterable<Uint8Array> {
	/** Undefined until iteration has ended (completely, by an error, or by return()). */
	summary(): ChatCompletionsStreamSummary | undefined;
}

/** An upstream response that has started and must outlive the attempt that opened it. */
export interface OpenedUpstream<T> {
	value: T;
	/** Stops following the caller's signal. */
	release(): void;
	/** Cancels the upstream call. */
	abort(): void;
}

/**
 * Opens a streaming response within one attempt. The attempt's signal (timeout or caller abort)
 * governs only until `open` resolves; after that only the caller's signal can cancel the stream.
 */
export async function openUpstream<T, Extra extends object>(
	attemptSignal: AbortSignal | undefined,
	callerSignal: AbortSignal | undefined,
	open: (signal: AbortSignal) => Promise<{ value: T } & Extra>,
): Promise<OpenedUpstream<T> & Extra> {
	const controller = new AbortController();
	const abort = (): void => controller.abort(attemptSignal?.reason);
	const abortFromCaller = (): void => controller.abort(callerSignal?.reason);
	if (attemptSignal?.aborted) abort();
	else attemptSignal?.addEventListener("abort", abort, { once: true });
	callerSignal?.addEventListener("abort", abortFromCaller, { once: true });
	const release = (): void => callerSignal?.removeEventListener("abort", abortFromCaller);
	try {
		const opened = await open(controller.signal);
		return { ...opened, release, abort: () => controller.abort() };
	} catch (error) {
		release();
		controller.abort();
		throw error;
	} finally {
		attemptSignal?.removeEventListener("abort", abort);
	}
}

function streamFailure(provider: string, summary: ChatCompletionsStreamSummary): ProviderCallError {
	return new ProviderCallError({
		provider,
		kind: "stream",
		message: `${provider}: the forwarded stream ended without finishing`,
		upstreamMessage: summary.errorMessage,
	});
}

export function observeForwardedStream(
	opened: OpenedUpstream<AsyncIterable<Uint8Array>>,
	route: CallRoute,
	startedAt: number,
	signal: AbortSignal | undefined,
): ForwardedChatCompletionsStream {
	const source = opened.value[Symbol.asyncIterator]();
	const observer = createChatCompletionsStreamObserver();
	let finished = false;

	function finish(): void {
		finished = true;
		opened.release();
	}

	const iterator: AsyncIterableIterator<Uint8Array> = {
		async next() {
			if (finished) return { done: true, value: undefined };
			let next: IteratorResult<Uint8Array>;
			try {
				next = await source.next();
			} catch (error) {
				finish();
				throw route.fail(error, startedAt, signal);
			}
			if (next.done) {
				finish();
				const summary = observer.result();
				if (summary.errorMessage === undefined && (summary.sawDone || summary.finishReason !== null)) {
					route.recordSuccess(startedAt, summary.usage);
				} else {
					// The client already has the upstream's bytes, error event or cut-off included; only the books need it.
					route.fail(streamFailure(route.provider, summary), startedAt, signal);
				}
				return next;
			}
			observer.push(next.value);
			return next;
		},
		async return() {
			if (!finished) {
				finish();
				opened.abort();
				await source.return?.().catch(() => {});
			}
			return { done: true, value: undefined };
		},
		[Symbol.asyncIterator]() {
			return iterator;
		},
	};
	return Object.assign(iterator, {
		summary(): ChatCompletionsStreamSummary | undefined {
			// Summarising flushes the observer, so it waits until no more bytes can come.
			return finished ? observer.result() : undefined;
		},
	});
}
