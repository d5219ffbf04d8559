import { describe, expect, it } from "vitest";
import { createChatCompletionsStreamObserver } from "../../src/llm/openai-wire/chat-completions-stream-observer.js";
import { createSseDecoder } from "../../src/llm/openai-wire/sse-decoder.js";
import { fixtures } from "../support/fake-upstream.js";

const encoder = new TextEncoder();

function decodeInPieces(text: string, pieceBytes: number): string[] {
	const bytes = encoder.encode(text);
	const decoder = createSseDecoder();
	const events: string[] = [];
	const onData = (data: string) => events.push(data);
	for (let offset = 0; offset < bytes.length; offset += pieceBytes) {
		decoder.push(bytes.subarray(offset, offset + pieceBytes), onData);
	}
	decoder.end(onData);
	return events;
}

describe("SSE decoder", () => {
	it("decodes data events, skipping comments and other fields", () => {
		const text = ': keep-alive\n\nevent: message\nid: 7\ndata: {"a":1}\n\nretry: 100\ndata:[DONE]\n\n';
		expect(decodeInPieces(text, 1000)).toEqual(['{"a":1}', "[DONE]"]);
	});

	it("joins multi-line data with newlines and accepts CR, LF and CRLF line ends", () => {
		const text = "data: first\r\ndata: second\r\n\r\ndata: third\rdata: fourth\r\rdata: fifth\n\n";
		expect(decodeInPieces(text, 1000)).toEqual(["first\nsecond", "third\nfourth", "fifth"]);
	});

	it("gives the same events whatever the chunk boundaries, including inside UTF-8 sequences and CRLF", () => {
		const text = "data: café ☕ “quoted”\r\n\r\ndata: 🚀\r\n\r\n";
		const whole = decodeInPieces(text, 10_000);
		expect(whole).toEqual(["café ☕ “quoted”", "🚀"]);
		for (const pieceBytes of [1, 2, 3, 5, 7]) expect(decodeInPieces(text, pieceBytes)).toEqual(whole);
	});

	it("delivers a last event that is not closed by a blank line", () => {
		expect(decodeInPieces("data: one\n\ndata: two", 3)).toEqual(["one", "two"]);
	});

	it("ignores blank lines without data", () => {
		expect(decodeInPieces("\n\n\n: ping\n\n", 1)).toEqual([]);
	});
});

describe("Chat Completions stream observer", () => {
	function observe(text: string, pieceBytes: number) {
		const observer = createChatCompletionsStreamObserver();
		const bytes = encoder.encode(text);
		for (let offset = 0; offset < bytes.length; offset += pieceBytes)
			observer.push(bytes.subarray(offset, offset + pieceBytes));
		return observer.result();
	}

	it("extracts text, finish reason and usage from the recorded transcript, byte by byte", () => {
		const expected = {
			text: fixtures.text,
			finishReason: "stop",
			usage: fixtures.usage,
			sawDone: true,
			errorMessage: undefined,
		};
		expect(observe(fixtures.streamTranscript, 100_000)).toEqual(expected);
		expect(observe(fixtures.streamTranscript, 1)).toEqual(expected);
		expect(observe(fixtures.streamTranscript, 13)).toEqual(expected);
	});

	it("reports a stream cut short: no finish reason, no usage, no [DONE]", () => {
		const cut = fixtures.streamTranscript.slice(0, fixtures.streamTranscript.indexOf(" Paris"));
		const summary = observe(cut, 7);
		expect(summary.sawDone).toBe(false);
		expect(summary.finishReason).toBeNull();
		expect(summary.usage).toBeNull();
		expect(fixtures.text.startsWith(summary.text)).toBe(true);
	});

	it("records a mid-stream error event and survives malformed events", () => {
		const text =
			'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\ndata: {not json\n\ndata: {"error":{"message":"upstream exploded"}}\n\n';
		const summary = observe(text, 4);
		expect(summary.text).toBe("Hi");
		expect(summary.errorMessage).toBe("upstream exploded");
	});
});
