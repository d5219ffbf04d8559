import { AppError } from "../../errors.js";
import { looksLikeText } from "./text-decoding.js";

/** The formats Parley can read, by their canonical media type. */
export type DocumentFormat =
	| "text/plain"
	| "text/markdown"
	| "text/html"
	| "application/pdf"
	| "application/json"
	| "text/csv";

export const supportedFormats: readonly DocumentFormat[] = [
	"text/plain",
	"text/markdown",
	"text/html",
	"application/pdf",
	"application/json",
	"text/csv",
];

export const supportedExtensions = [".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf", ".json", ".csv"];

const formatByMediaType: Record<string, DocumentFormat> = {
	"text/plain": "text/plain",
	"text/markdown": "text/markdown",
	"text/x-markdown": "text/markdown",
	"text/html": "text/html",
	"application/xhtml+xml": "text/html",
	"application/pdf": "application/pdf",
	"application/x-pdf": "application/pdf",
	"application/json": "application/json",
	"text/json": "application/json",
	"text/csv": "text/csv",
	"application/csv": "text/csv",
	"text/comma-separated-values": "text/csv",
};

const formatByExtension: Record<string, DocumentFormat> = {
	".txt": "text/plain",
	".text": "text/plain",
	".md": "text/markdown",
	".markdown": "text/markdown",
	".html": "text/html",
	".htm": "text/html",
	".xhtml": "text/html",
	".pdf": "application/pdf",
	".json": "application/json",
	".csv": "text/csv",
};

/** Types that say nothing about the content: the extension or the bytes decide instead. */
const genericMediaTypes = new Set(["", "application/octet-stream", "binary/octet-stream", "application/unknown"]);

export interface DetectedFormat {
	format: DocumentFormat;
	/** The charset parameter of the declared type, when there was one. */
	charset: string | undefined;
}

export function parseMediaType(declared: string | undefined): { essence: string; charset: string | undefined } {
	const [essence = "", ...parameters] = (declared ?? "").split(";");
	let charset: string | undefined;
	for (const parameter of parameters) {
		const [name, value] = parameter.split("=");
		if (name?.trim().toLowerCase() === "charset" && value !== undefined) charset = value.trim().replaceAll('"', "");
	}
	return { essence: essence.trim().toLowerCase(), charset };
}

export function extensionOf(fileName: string | undefined): string {
	if (!fileName) return "";
	const base = fileName.slice(Math.max(fileName.lastIndexOf("/"), fileName.lastIndexOf("\\")) + 1);
	const dot = base.lastIndexOf(".");
	return dot <= 0 ? "" : base.slice(dot).toLowerCase();
}

/** Declared type first, then the file name's extension, then the bytes themselves. */
export function detectFormat(input: {
	bytes: Uint8Array;
	mediaType?: string | undefined;
	fileName?: string | undefined;
}): DetectedFormat {
	const { essence, charset } = parseMediaType(input.mediaType);
	if (!genericMediaTypes.has(essence)) {
		const declared = formatByMediaType[essence] ?? (essence.endsWith("+json") ? "application/json" : undefined);
		if (declared === undefined) throw unsupported(`'${essence}' documents are not supported`);
		return { format: declared, charset };
	}
	const extension = extensionOf(input.fileName);
	if (extension !== "") {
		const byExtension = formatByExtension[extension];
		if (byExtension === undefined) throw unsupported(`'${extension}' files are not supported`);
		return { format: byExtension, charset };
	}
	return { format: sniffFormat(input.bytes), charset };
}

function sniffFormat(bytes: Uint8Array): DocumentFormat {
	// A lenient decode of the head only (it drops a byte-order mark); strict checks come after.
	const head = new TextDecoder().decode(bytes.subarray(0, 512));
	if (head.startsWith("%PDF-")) return "application/pdf";
	if (!looksLikeText(bytes)) throw unsupported("the content is binary data of a type Parley cannot read");
	const start = head.trimStart().slice(0, 100).toLowerCase();
	if (start.startsWith("<!doctype html") || start.startsWith("<html")) return "text/html";
	if ((start.startsWith("{") || start.startsWith("[")) && parsesAsJson(bytes)) return "application/json";
	return "text/plain";
}

function parsesAsJson(bytes: Uint8Array): boolean {
	try {
		JSON.parse(new TextDecoder().decode(bytes));
		return true;
	} catch {
		return false;
	}
}

function unsupported(reason: string): AppError {
	return new AppError("unsupported_media_type", {
		detail: `${reason}. Supported: ${supportedExtensions.join(", ")} (${supportedFormats.join(", ")})`,
	});
}
