/**
 * Incremental text/event-stream decoder (the WHATWG "server-sent events" parsing rules, data
 * field only). Chunks may split lines, CRLF pairs and UTF-8 sequences anywhere.
 */
export interface SseDecoder {
	/** Decodes one chunk and calls `onData` with the data of every event it completes. */
	push(chunk: Uint8Array, onData: (data: string) => void): void;
	/**
	 * Ends the stream. An event not closed by a blank line is delivered anyway: some servers
	 * close the connection right after their last `data:` line.
	 */
	end(onData: (data: string) => void): void;
}

const lineFeed = 10;
const carriageReturn = 13;
const space = 32;

export function createSseDecoder(): SseDecoder {
	const textDecoder = new TextDecoder();
	let partialLine = "";
	let previousChunkEndedWithCarriageReturn = false;
	let data: string | undefined;

	function processLine(line: string, onData: (data: string) => void): void {
		if (line.length === 0) {
			if (data !== undefined) {
				const complete = data;
				data = undefined;
				onData(complete);
			}
			return;
		}
		if (line.startsWith("data:")) {
			const value = line.charCodeAt(5) === space ? line.slice(6) : line.slice(5);
			data = data === undefined ? value : `${data}\n${value}`;
		}
		// Comments (":" lines, used as keep-alives) and the event, id and retry fields carry nothing we use.
	}

	return {
		push(chunk, onData) {
			let text = textDecoder.decode(chunk, { stream: true });
			if (previousChunkEndedWithCarriageReturn && text.length > 0) {
				previousChunkEndedWithCarriageReturn = false;
				if (text.charCodeAt(0) === lineFeed) text = text.slice(1);
			}
			if (partialLine.length > 0) {
				text = partialLine + text;
				partialLine = "";
			}
			let lineStart = 0;
			const length = text.length;
			for (let index = 0; index < length; index++) {
				const code = text.charCodeAt(index);
				if (code !== lineFeed && code !== carriageReturn) continue;
				processLine(text.slice(lineStart, index), onData);
				if (code === carriageReturn) {
					if (index + 1 < length) {
						if (text.charCodeAt(index + 1) === lineFeed) index++;
					} else {
						previousChunkEndedWithCarriageReturn = true;
					}
				}
				lineStart = index + 1;
			}
			if (lineStart < length) partialLine = text.slice(lineStart);
		},
		end(onData) {
			const rest = partialLine + textDecoder.decode();
			partialLine = "";
			if (rest.length > 0) processLine(rest, onData);
			processLine("", onData);
		},
	};
}
