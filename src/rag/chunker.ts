import { estimateTokens } from "../llm/token-estimate.js";
import type { ChunkInput } from "../store/knowledge-port.js";
import { parseHeading } from "../text/markdown-heading.js";

/**
 * Token-based chunking that follows the document's shape: every Markdown-style heading ("#" …
 * "######", outside code fences) starts a new section, and each chunk records the path of
 * headings it sits under ("Guide › Install"). Inside a section, paragraphs are packed greedily up
 * to `chunkTokens`; a paragraph too long for one chunk is split at lines, then sentences, then
 * word windows, then (for runs without spaces) character windows. Consecutive chunks of a section
 * share up to `overlapTokens` of whole trailing pieces, so a sentence cut at a boundary is still
 * found with its context.
 *
 * Cost stays linear in the input: each level counts each of its pieces once, and token counting
 * is linear even on long runs without (or of) whitespace.
 */

export interface ChunkingSettings {
	chunkTokens: number;
	overlapTokens: number;
}

interface Piece {
	text: string;
	tokens: number;
	/** What separates it from the piece before it in the same chunk: a blank line, a newline, a space, or nothing. */
	joiner: string;
}

interface Section {
	headingPath: string | null;
	lines: string[];
	/** The section holds nothing but its heading line. */
	headingOnly: boolean;
}

const fencePattern = /^ {0,3}(```|~~~)/;
const headingSeparator = " › ";
const wordsPerWindow = 24;

/** Token estimate of a chunk (linear on pathological input: see estimateTokens). */
export function countChunkTokens(text: string): number {
	return estimateTokens(text);
}

export function chunkText(text: string, settings: ChunkingSettings): ChunkInput[] {
	const chunkTokens = Math.max(1, Math.floor(settings.chunkTokens));
	const overlapTokens = Math.max(0, Math.min(Math.floor(settings.overlapTokens), Math.floor(chunkTokens / 2)));
	const sections = splitSections(text.replace(/\r\n?/g, "\n"));
	// Sections holding only a heading are noise as chunks (their text is in the heading path of the
	// sections below), unless the document has nothing else.
	const useful = sections.filter((section) => !section.headingOnly);
	const chosen = useful.length > 0 ? useful : sections;
	const chunks: ChunkInput[] = [];
	for (const section of chosen) {
		const pieces = sectionPieces(section.lines, chunkTokens);
		for (const chunk of packPieces(pieces, chunkTokens, overlapTokens)) {
			chunks.push({ ordinal: chunks.length, text: chunk.text, heading: section.headingPath, tokenCount: chunk.tokens });
		}
	}
	return chunks;
}

function splitSections(text: string): Section[] {
	const sections: Section[] = [];
	const headings: Array<{ level: number; title: string }> = [];
	let current: Section = { headingPath: null, lines: [], headingOnly: false };
	let insideFence = false;
	for (const line of text.split("\n")) {
		if (fencePattern.test(line)) insideFence = !insideFence;
		const heading = insideFence ? null : parseHeading(line);
		if (heading === null) {
			current.lines.push(line);
			if (line.trim() !== "") current.headingOnly = false;
			continue;
		}
		sections.push(current);
		const { level, title } = heading;
		while (headings.length > 0 && headings[headings.length - 1]!.level >= level) headings.pop();
		if (title !== "") headings.push({ level, title });
		const headingPath = headings.length > 0 ? headings.map((heading) => heading.title).join(headingSeparator) : null;
		// The heading line stays in the text: its words are often the best keywords of the section.
		current = { headingPath, lines: [line.trim()], headingOnly: true };
	}
	sections.push(current);
	return sections.filter((section) => section.lines.some((line) => line.trim() !== ""));
}

function sectionPieces(lines: string[], chunkTokens: number): Piece[] {
	const pieces: Piece[] = [];
	const paragraphs = lines.join("\n").split(/\n[ \t]*\n/);
	for (const paragraph of paragraphs) {
		const trimmed = paragraph.trim();
		if (trimmed === "") continue;
		pieces.push(...splitToFit(trimmed, chunkTokens, 0, "\n\n"));
	}
	return pieces;
}

interface Splitter {
	split(text: string): string[];
	/** How the parts are joined back when they share a chunk. */
	joiner: string;
}

// From coarse to fine. Each level applies only to pieces the previous one left too long.
const splitters: readonly Splitter[] = [
	{ split: (text) => text.split(/\n+/), joiner: "\n" },
	{ split: (text) => text.split(/(?<=[.!?;:。！？])\s+/), joiner: " " },
	{
		split: (text) => {
			const words = text.split(/\s+/);
			const windows: string[] = [];
			for (let start = 0; start < words.length; start += wordsPerWindow) {
				windows.push(words.slice(start, start + wordsPerWindow).join(" "));
			}
			return windows;
		},
		joiner: " ",
	},
];

function splitToFit(text: string, chunkTokens: number, level: number, joiner: string): Piece[] {
	const tokens = countChunkTokens(text);
	if (tokens <= chunkTokens) return [{ text, tokens, joiner }];
	const splitter = splitters[level];
	if (splitter === undefined) return splitCharacters(text, chunkTokens, joiner);
	const parts = splitter
		.split(text)
		.map((part) => part.trim())
		.filter((part) => part !== "");
	if (parts.length <= 1) return splitToFit(text, chunkTokens, level + 1, joiner);
	return parts.flatMap((part, index) =>
		splitToFit(part, chunkTokens, level + 1, index === 0 ? joiner : splitter.joiner),
	);
}

/** Last resort for runs without whitespace: windows of characters, halved until each fits. */
function splitCharacters(text: string, chunkTokens: number, joiner: string): Piece[] {
	const result: Piece[] = [];
	let windowLength = Math.max(1, chunkTokens * 2);
	let start = 0;
	while (start < text.length) {
		let end = Math.min(text.length, start + windowLength);
		// Never cut a surrogate pair in half.
		if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end += 1;
		const piece = text.slice(start, end);
		const tokens = countChunkTokens(piece);
		if (tokens > chunkTokens && end - start > 2) {
			windowLength = Math.max(1, Math.floor((end - start) / 2));
			continue;
		}
		result.push({ text: piece, tokens, joiner: result.length === 0 ? joiner : "" });
		start = end;
	}
	return result;
}

function isHighSurrogate(code: number): boolean {
	return code >= 0xd800 && code <= 0xdbff;
}

function packPieces(
	pieces: Piece[],
	chunkTokens: number,
	overlapTokens: number,
): Array<{ text: string; tokens: number }> {
	const chunks: Array<{ text: string; tokens: number }> = [];
	let current: Piece[] = [];
	let currentTokens = 0;
	// Pieces carried over from the previous chunk; a chunk made only of them is not emitted.
	let carried = 0;

	const emit = () => {
		if (current.length > carried) {
			chunks.push({ text: joinPieces(current), tokens: currentTokens });
		}
	};

	for (const piece of pieces) {
		if (current.length > 0 && currentTokens + piece.tokens > chunkTokens) {
			emit();
			const overlap = trailingPieces(current, overlapTokens, chunkTokens - piece.tokens);
			current = overlap;
			carried = overlap.length;
			currentTokens = overlap.reduce((total, item) => total + item.tokens, 0);
		}
		current.push(piece);
		currentTokens += piece.tokens;
	}
	if (current.length > 0) emit();
	return chunks;
}

/** The longest run of trailing pieces within the overlap budget that still leaves room for the next piece. */
function trailingPieces(pieces: Piece[], overlapTokens: number, room: number): Piece[] {
	const budget = Math.min(overlapTokens, room);
	const kept: Piece[] = [];
	let total = 0;
	for (let index = pieces.length - 1; index >= 0; index--) {
		const piece = pieces[index]!;
		if (total + piece.tokens > budget) break;
		kept.unshift(piece);
		total += piece.tokens;
	}
	return kept;
}

function joinPieces(pieces: Piece[]): string {
	let text = "";
	for (const [index, piece] of pieces.entries()) {
		text += index === 0 ? piece.text : piece.joiner + piece.text;
	}
	return text;
}
