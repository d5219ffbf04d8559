import { extractTextItems, getDocumentProxy, getMeta } from "unpdf";
import { unreadable } from "./text-decoding.js";

/**
 * PDF → text, page by page, with paragraphs kept: lines of a paragraph are joined with spaces
 * (their breaks are only layout), and a vertical gap clearly taller than the line spacing starts
 * a new paragraph. Pages are separated like paragraphs. The title comes from the document's
 * metadata when it has one.
 */

export interface PdfText {
	title: string | null;
	text: string;
	pageCount: number;
}

interface PositionedText {
	str: string;
	y: number;
	height: number;
	fontSize: number;
	hasEOL: boolean;
}

/** A gap above this many line heights between two lines starts a new paragraph. */
const paragraphGapRatio = 1.5;

export async function pdfToText(bytes: Uint8Array): Promise<PdfText> {
	let document: Awaited<ReturnType<typeof getDocumentProxy>>;
	try {
		// pdf.js may transfer (detach) the buffer it is given, so it gets a copy; verbosity 0
		// keeps its warnings about damaged files off stdout.
		document = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
	} catch (error) {
		const name = error instanceof Error ? error.name : "";
		if (name === "PasswordException") throw unreadable("the PDF is encrypted with a password");
		throw unreadable(`it is not a valid PDF (${error instanceof Error ? error.message : String(error)})`);
	}
	try {
		const [{ info }, { items }] = await Promise.all([getMeta(document), extractTextItems(document)]);
		const pages = items.map((pageItems) => pageText(pageItems as PositionedText[]));
		const title = typeof info.Title === "string" && info.Title.trim() !== "" ? info.Title.trim() : null;
		return { title, text: pages.filter((page) => page !== "").join("\n\n"), pageCount: document.numPages };
	} catch (error) {
		throw unreadable(`the PDF is damaged (${error instanceof Error ? error.message : String(error)})`);
	} finally {
		await document.loadingTask.destroy();
	}
}

function pageText(items: readonly PositionedText[]): string {
	const paragraphs: string[] = [];
	let paragraph: string[] = [];
	let line = "";
	let lineY: number | null = null;
	let lineHeight = 0;

	const endLine = () => {
		const content = line.replace(/\s+/g, " ").trim();
		if (content !== "") paragraph.push(content);
		line = "";
	};
	const endParagraph = () => {
		endLine();
		if (paragraph.length > 0) paragraphs.push(paragraph.join(" "));
		paragraph = [];
	};

	for (const item of items) {
		const height = Math.max(item.fontSize, item.height, 1);
		if (lineY !== null && item.str !== "" && Math.abs(lineY - item.y) > height / 2) {
			// A new line: a tall gap means a new paragraph, a normal one continues this paragraph.
			if (Math.abs(lineY - item.y) > paragraphGapRatio * Math.max(lineHeight, height)) endParagraph();
			else endLine();
		}
		if (item.str !== "") {
			line += item.str;
			lineY = item.y;
			lineHeight = height;
		}
		if (item.hasEOL) line += " ";
	}
	endParagraph();
	return paragraphs.join("\n\n");
}
