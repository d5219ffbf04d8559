import type { CallRoute } from "./call-route.js";
import { type ModelStreamPart, ProviderCallError, type TokenUsage } from "./model-port.js";
import {
	type ChatCompletionsStreamObserver,
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
	/** Attempts it took to open, retries included. */
	readonly attempts: number;
}

/** A model's answer as parts, opened: its first part has arrived. Iterate to the end or return(). */
export interface OpenedPartStream extends AsyncIterable<ModelStreamPart> {
	/** Attempts it took to open, retries included. */
	readonly attempts: number;
}

/** A forwarded stream read up to the start of its answer, within the attempt that opened it. */
export interface HeldUpstreamStream {
	iterator: AsyncIterator<Uint8Array>;
	observer: ChatCompletionsStreamObserver;
	/** Chunks read before the answer began, not yet sent on. */
	held: Uint8Array[];
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

/**
 * Reads a forwarded stream until its answer begins (text, a finish_reason or [DONE]). Until then
 * nothing has reached the client, so a break, an early end or an upstream error event is still a
 * failed attempt that can be retried or fall back to the next model.
 */
export async function readUntilAnswer(
	provider: string,
	chunks: AsyncIterable<Uint8Array>,
): Promise<HeldUpstreamStream> {
	const iterator = chunks[Symbol.asyncIterator]();
	const observer = createChatCompletionsStreamObserver();
	const held: Uint8Array[] = [];
	try {
		while (!observer.answerStarted()) {
			const next = await iterator.next();
			if (next.done) {
				const summary = observer.result();
				if (summary.sawDone || summary.finishReason !== null || summary.text.length > 0) break;
				throw new ProviderCallError({
					provider,
					kind: "stream",
					message: `${provider}: the stream ended before the answer began`,
					upstreamMessage: summary.errorMessage,
				});
			}
			held.push(next.value);
			observer.push(next.value);
			const upstreamMessage = observer.errorMessage();
			// An error event after the answer began is the client's to see, with the rest of the stream.
			if (upstreamMessage !== undefined && !observer.answerStarted()) {
				throw new ProviderCallError({
					provider,
					kind: "stream",
					message: `${provider}: the upstream reported an error before answering`,
					upstreamMessage,
				});
			}
		}
	} catch (error) {
		await iterator.return?.().catch(() => {});
		throw error;
	}
	return { iterator, observer, held };
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
	opened: OpenedUpstream<HeldUpstreamStream>,
	route: CallRoute,
	startedAt: number,
	signal: AbortSignal | undefined,
	attempts: number,
): ForwardedChatCompletionsStream {
	const { iterator: source, observer, held } = opened.value;
	let finished = false;

	function finish(): void {
		finished = true;
		opened.release();
	}

	const iterator: AsyncIterableIterator<Uint8Array> = {
		async next() {
			if (finished) return { done: true, value: undefined };
			const heldChunk = held.shift();
			if (heldChunk !== undefined) return { done: false, value: heldChunk };
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
		attempts,
		summary(): ChatCompletionsStreamSummary | undefined {
			// Summarising flushes the observer, so it waits until no more bytes can come.
			return finished ? observer.result() : undefined;
		},
	});
}

/**
 * The parts of an opened model stream, its first part first. After that first part a failure is
 * final (the caller may have sent it on); `idleTimeoutMs` bounds each wait for the next part when
 * the adapter does not bound it itself.
 */
export function partsAfterOpening(
	opened: OpenedUpstream<IteratorResult<ModelStreamPart>> & { iterator: AsyncIterator<ModelStreamPart> },
	route: CallRoute,
	startedAt: number,
	signal: AbortSignal | undefined,
	idleTimeoutMs: number | undefined,
	attempts: number,
): OpenedPartStream {
	let pending: IteratorResult<ModelStreamPart> | undefined = opened.value;
	let usage: TokenUsage | null = null;
	let finished = false;

	async function close(completed: boolean): Promise<void> {
		if (finished) return;
		finished = true;
		opened.release();
		if (!completed) {
			opened.abort();
			await opened.iterator.return?.().catch(() => {});
		}
	}

	const iterator: AsyncIterableIterator<ModelStreamPart> = {
		async next() {
			if (finished) return { done: true, value: undefined };
			let next = pending;
			pending = undefined;
			if (next === undefined) {
				try {
					next = await nextWithin(opened.iterator, idleTimeoutMs, route.provider, opened.abort);
				} catch (error) {
					await close(false);
					throw route.fail(error, startedAt, signal);
				}
			}
			if (next.done) {
				await close(true);
				route.recordSuccess(startedAt, usage);
				return next;
			}
			if (next.value.type === "finish") usage = next.value.usage;
			return next;
		},
		async return() {
			await close(false);
			return { done: true, value: undefined };
		},
		[Symbol.asyncIterator]() {
			return iterator;
		},
	};
	return Object.assign(iterator, { attempts });
}

function nextWithin<T>(
	iterator: AsyncIterator<T>,
	idleTimeoutMs: number | undefined,
	provider: string,
	abort: () => void,
): Promise<IteratorResult<T>> {
	if (idleTimeoutMs === undefined) return iterator.next();
	let timer: NodeJS.Timeout | undefined;
	const idle = new Promise<never>((_resolve, reject) => {
		timer = setTimeout(() => {
			abort();
			reject(
				new ProviderCallError({
					provider,
					kind: "timeout",
					message: `${provider}: the stream sent nothing for ${idleTimeoutMs} ms`,
				}),
			);
		}, idleTimeoutMs);
	});
	return Promise.race([iterator.next(), idle]).finally(() => clearTimeout(timer));
}
