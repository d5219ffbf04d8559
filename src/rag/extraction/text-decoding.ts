import { TextDecoder } from "node:util";
import { AppError } from "../../errors.js";

/**
 * Bytes → text for every text-based format, refusing what is not text. Binary files sent with a
 * text type (a JPEG declared as text/plain, a zip renamed .txt) must fail here with a clear 422
 * instead of being indexed as mojibake that then matches nothing and pollutes search.
 */

/** Above this share of control characters the "text" is binary data, not a document. */
const maximumControlCharacterRatio = 0.01;

/** Decodes `bytes` as `charset` (UTF-8 by default; a UTF-16 byte-order mark wins), strictly. */
export function decodeText(bytes: Uint8Array, charset: string | undefined): string {
	const encoding = byteOrderMarkEncoding(bytes) ?? normaliseCharset(charset);
	let decoder: TextDecoder;
	try {
		decoder = new TextDecoder(encoding, { fatal: true });
	} catch {
		throw new AppError("unsupported_media_type", { detail: `unsupported charset '${charset}'` });
	}
	// UTF-16 text legitimately contains NUL bytes; for every other encoding one means binary data.
	if (!decoder.encoding.startsWith("utf-16") && bytes.includes(0)) {
		throw unreadable("it contains NUL bytes, so it is binary data, not text");
	}
	let text: string;
	try {
		text = decoder.decode(bytes);
	} catch {
		throw unreadable(`it is not valid ${decoder.encoding.toUpperCase()} text`);
	}
	assertMostlyPrintable(text);
	return text;
}

/** Whether the bytes look like text (used when sniffing content without a declared type). */
export function looksLikeText(bytes: Uint8Array): boolean {
	try {
		decodeText(bytes.subarray(0, 64 * 1024), undefined);
		return true;
	} catch {
		// A multi-byte character cut by the 64 KiB window is still text; only a whole-file decode can tell.
		try {
			decodeText(bytes, undefined);
			return true;
		} catch {
			return false;
		}
	}
}

function byteOrderMarkEncoding(bytes: Uint8Array): string | undefined {
	if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
	if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
	return undefined;
}

function normaliseCharset(charset: string | undefined): string {
	const label = charset?.trim().toLowerCase();
	// US-ASCII is declared by many tools for what is really UTF-8; UTF-8 is its superset.
	if (label === undefined || label === "" || label === "us-ascii" || label === "ascii") return "utf-8";
	return label;
}

/** Tab, line feed, form feed and carriage return are text; the rest of C0 and DEL are not. */
function isControlCharacter(code: number): boolean {
	return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) || code === 0x7f;
}

function assertMostlyPrintable(text: string): void {
	let controlCharacters = 0;
	for (let index = 0; index < text.length; index++) {
		const code = text.charCodeAt(index);
		if (code === 0) throw unreadable("it contains NUL characters, so it is binary data, not text");
		if (isControlCharacter(code)) controlCharacters++;
	}
	if (controlCharacters > 0 && controlCharacters > text.length * maximumControlCharacterRatio) {
		throw unreadable("too many control characters: it looks like binary data, not text");
	}
}

export function unreadable(reason: string): AppError {
	return new AppError("document_unreadable", { detail: `The document could not be read: ${reason}` });
}

/**
 * Line endings to "\n", trailing spaces dropped, runs of blank lines cut to one, outer blank
 * lines removed. Works line by line rather than with whole-text regular expressions such as
 * /[ \t]+$/gm, which backtrack quadratically on a long line of spaces.
 */
export function normaliseText(text: string): string {
	const lines = text.replaceAll("\r\n", "\n").replaceAll("\r", "\n").split("\n");
	const kept: string[] = [];
	let blankRun = 0;
	for (const line of lines) {
		const trimmed = line.trimEnd();
		if (trimmed === "") {
			blankRun++;
			continue;
		}
		if (blankRun > 0 && kept.length > 0) kept.push("");
		blankRun = 0;
		kept.push(trimmed);
	}
	return kept.join("\n");
}
