/**
 * A one-reader queue that decouples a producer from a consumer that may stop reading: the
 * producer never waits, so a chat stream finishes (and is stored) even if its client went away.
 */
export interface AsyncQueue<T> extends AsyncIterable<T> {
	push(value: T): void;
	close(): void;
	fail(error: unknown): void;
}

export function createAsyncQueue<T>(): AsyncQueue<T> {
	const buffered: T[] = [];
	let done = false;
	let failure: { error: unknown } | undefined;
	let wake: (() => void) | undefined;
	const notify = () => {
		const resolve = wake;
		wake = undefined;
		resolve?.();
	};
	return {
		push(value) {
			buffered.push(value);
			notify();
		},
		close() {
			done = true;
			notify();
		},
		fail(error) {
			failure = { error };
			done = true;
			notify();
		},
		async *[Symbol.asyncIterator]() {
			let index = 0;
			while (true) {
				if (index < buffered.length) {
					yield buffered[index++] as T;
					continue;
				}
				if (failure) throw failure.error;
				if (done) return;
				await new Promise<void>((resolve) => {
					wake = resolve;
				});
			}
		},
	};
}
