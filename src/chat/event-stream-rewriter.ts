/**
 * Rewrites a relayed Chat Completions event stream at event boundaries, leaving every other byte
 * as the upstream sent it:
 * - `dropUsage`: removes the usage-only chunk (`"choices":[]` with `usage`). Parley always asks
 *   upstreams for usage, for accounting; a client that did not ask must not get a chunk without
 *   choices, which naive clients index into.
 * - `beforeDone`: an event to insert just before `data: [DONE]` (the citations of a grounded answer).
 */
export function createEventStreamRewriter(options: { dropUsage: boolean; beforeDone?: string | undefined }) {
	const decoder = new TextDecoder();
	let pending = "";
	const rewrite = (event: string): string => {
		if (options.dropUsage && event.includes('"choices":[]') && event.includes('"usage"')) return "";
		if (options.beforeDone !== undefined && event.startsWith("data: [DONE]")) return options.beforeDone + event;
		return event;
	};
	return {
		push(chunk: Uint8Array): string {
			pending += decoder.decode(chunk, { stream: true });
			let output = "";
			let boundary = pending.indexOf("\n\n");
			while (boundary >= 0) {
				output += rewrite(pending.slice(0, boundary + 2));
				pending = pending.slice(boundary + 2);
				boundary = pending.indexOf("\n\n");
			}
			return output;
		},
		flush(): string {
			const rest = pending + decoder.decode();
			pending = "";
			return rest.length > 0 ? rewrite(rest) : "";
		},
	};
}
