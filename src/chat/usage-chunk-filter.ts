/**
 * Drops the usage-only chunk (`"choices":[]` plus `usage`) from a Chat Completions event stream.
 * Parley always asks upstreams for usage, for accounting; a client that did not ask for it must
 * not receive a chunk without choices, which naive clients index into. Works on raw bytes and
 * keeps everything else byte-for-byte.
 */
export function createUsageChunkFilter() {
	const decoder = new TextDecoder();
	let pending = "";
	const keep = (event: string) => !(event.includes('"choices":[]') && event.includes('"usage"'));
	return {
		push(chunk: Uint8Array): string {
			pending += decoder.decode(chunk, { stream: true });
			let output = "";
			let boundary = pending.indexOf("\n\n");
			while (boundary >= 0) {
				const event = pending.slice(0, boundary + 2);
				pending = pending.slice(boundary + 2);
				if (keep(event)) output += event;
				boundary = pending.indexOf("\n\n");
			}
			return output;
		},
		flush(): string {
			const rest = pending + decoder.decode();
			pending = "";
			return rest.length > 0 && keep(rest) ? rest : "";
		},
	};
}
