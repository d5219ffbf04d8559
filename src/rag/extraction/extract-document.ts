import { AppError } from "../../errors.js";
import { csvToText } from "./csv-extraction.js";
import { declaredHtmlCharset, htmlToText } from "./html-extraction.js";
import { jsonToText } from "./json-extraction.js";
import { normaliseMarkdown } from "./markdown-text.js";
import { type DocumentFormat, detectFormat, extensionOf } from "./media-types.js";
import { pdfToText } from "./pdf-extraction.js";
import { decodeText, normaliseText } from "./text-decoding.js";

/**
 * Any supported file → the title and plain text the document service indexes, headings kept as
 * "#" lines. Throws AppError: `unsupported_media_type` (415) for formats Parley cannot read,
 * `document_unreadable` (422) for content that is not what its type says (binary sent as text,
 * a broken PDF, JSON or CSV that does not parse), `document_empty` (422) when no text remains.
 */

export interface ExtractionInput {
	bytes: Uint8Array;
	/** The declared Content-Type (parameters such as charset are honoured). */
	mediaType?: string | undefined;
	fileName?: string | undefined;
}

export interface ExtractedDocument {
	title: string;
	text: string;
	mediaType: DocumentFormat;
}

export const maximumTitleLength = 200;

export async function extractDocument(input: ExtractionInput): Promise<ExtractedDocument> {
	if (input.bytes.length === 0) throw emptyDocument("the file is empty (0 bytes)");
	const { format, charset } = detectFormat(input);
	const { title, text } = await extractText(format, input.bytes, charset);
	const normalised = normaliseText(text);
	if (normalised === "") {
		throw emptyDocument(
			format === "application/pdf"
				? "the PDF has no text layer (a scanned image needs OCR first)"
				: "it contains no text once its markup is removed",
		);
	}
	return {
		title: clipTitle(title ?? titleFromFileName(input.fileName) ?? firstLineOf(normalised)),
		text: normalised,
		mediaType: format,
	};
}

async function extractText(
	format: DocumentFormat,
	bytes: Uint8Array,
	charset: string | undefined,
): Promise<{ title: string | null; text: string }> {
	switch (format) {
		case "application/pdf": {
			const pdf = await pdfToText(bytes);
			return { title: pdf.title, text: withoutControlCharacters(pdf.text) };
		}
		case "text/html":
			return htmlToText(decodeText(bytes, charset ?? declaredHtmlCharset(bytes)));
		case "application/json":
			return jsonToText(decodeText(bytes, charset));
		case "text/csv":
			return { title: null, text: csvToText(decodeText(bytes, charset)) };
		case "text/markdown":
			return normaliseMarkdown(lineFeedsOnly(decodeText(bytes, charset)));
		case "text/plain": {
			const text = lineFeedsOnly(decodeText(bytes, charset));
			// Plain text keeps its "#" lines (the chunker reads them) and may take its title from one.
			return { title: normaliseMarkdown(text).title, text };
		}
	}
}

/**
 * Text the caller already holds (the JSON body of POST /v1/documents): the same checks as an
 * uploaded Markdown file, so a string of control characters is refused the same way.
 */
export async function extractProvidedText(text: string): Promise<ExtractedDocument> {
	if (text.trim() === "") throw emptyDocument("the text is empty");
	return extractDocument({ bytes: new TextEncoder().encode(text), mediaType: "text/markdown" });
}

function lineFeedsOnly(text: string): string {
	return text.replaceAll("\r\n", "\n").replaceAll("\r", "\n");
}

/** PDF fonts without a usable encoding yield control characters; they carry no text. */
function withoutControlCharacters(text: string): string {
	let kept = "";
	let start = 0;
	for (let index = 0; index < text.length; index++) {
		const code = text.charCodeAt(index);
		if ((code < 0x20 && code !== 0x09 && code !== 0x0a) || code === 0x7f) {
			kept += text.slice(start, index);
			start = index + 1;
		}
	}
	return kept + text.slice(start);
}

function titleFromFileName(fileName: string | undefined): string | null {
	if (!fileName) return null;
	const base = fileName.slice(Math.max(fileName.lastIndexOf("/"), fileName.lastIndexOf("\\")) + 1);
	const withoutExtension = base.slice(0, base.length - extensionOf(base).length).trim();
	return withoutExtension === "" ? null : withoutExtension;
}

function firstLineOf(text: string): string {
	const newline = text.indexOf("\n");
	const line =
		newline === -1 ? text.slice(0, maximumTitleLength * 4) : text.slice(0, Math.min(newline, maximumTitleLength * 4));
	return line.replace(/^#+\s*/, "").trim() || "Untitled document";
}

function clipTitle(title: string): string {
	const singleLine = title
		.slice(0, maximumTitleLength * 4)
		.replace(/\s+/g, " ")
		.trim();
	if (singleLine.length <= maximumTitleLength) return singleLine;
	return `${singleLine.slice(0, maximumTitleLength - 1).trimEnd()}…`;
}

function emptyDocument(reason: string): AppError {
	return new AppError("document_empty", { detail: `The document has no usable text: ${reason}` });
}
