import { Parser } from "htmlparser2";

/**
 * HTML → plain text with the document's structure kept where retrieval needs it: h1–h6 become
 * "#"… heading lines (the chunker follows them), blocks become paragraphs, list items "- " lines,
 * table rows one line each with " | " between cells. Script, style and other non-content
 * elements are dropped. Runs on htmlparser2's streaming callbacks: linear in the input, no DOM.
 */

const skippedElements = new Set(["script", "style", "noscript", "template", "svg", "math", "iframe", "object", "head"]);
const paragraphElements = new Set([
	"p",
	"div",
	"section",
	"article",
	"header",
	"footer",
	"main",
	"aside",
	"nav",
	"blockquote",
	"figure",
	"figcaption",
	"form",
	"fieldset",
	"address",
	"details",
	"summary",
	"dl",
	"ul",
	"ol",
	"table",
	"hr",
	"pre",
	"body",
]);
const lineElements = new Set(["tr", "dt", "dd", "caption", "li"]);
const headingLevels: Record<string, number> = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };

export interface HtmlText {
	/** The <title> element's text, else the first heading's, else null. */
	title: string | null;
	text: string;
}

export function htmlToText(html: string): HtmlText {
	const lines: string[] = [];
	let current = "";
	let linePrefix = "";
	/** 0: nothing pending, 1: start a new line, 2: leave a blank line first. */
	let pendingBreak = 0;
	/** Open elements whose content is dropped, innermost last. */
	const skipped: string[] = [];
	let preDepth = 0;
	let headingDepth = 0;
	let inTitle = false;
	let titleText = "";
	let firstHeading: string | null = null;

	const finishLine = (level: 1 | 2) => {
		// Preformatted text keeps its indentation.
		const content = preDepth > 0 ? current.trimEnd() : current.trim();
		if (content !== "") {
			if (pendingBreak === 2 && lines.length > 0) lines.push("");
			lines.push(linePrefix + content);
			if (linePrefix.startsWith("#") && firstHeading === null) firstHeading = content;
			pendingBreak = 0;
		}
		current = "";
		linePrefix = "";
		pendingBreak = Math.max(pendingBreak, level);
	};

	const appendText = (text: string) => {
		if (preDepth > 0) {
			const [first = "", ...rest] = text.split("\n");
			current += first;
			for (const line of rest) {
				finishLine(1);
				current = line;
			}
			return;
		}
		const collapsed = text.replace(/\s+/g, " ");
		current += current.endsWith(" ") && collapsed.startsWith(" ") ? collapsed.slice(1) : collapsed;
	};

	const parser = new Parser(
		{
			onopentag(name) {
				// A <title> counts in the document head only (an SVG has titles of its own).
				if (name === "title" && skipped.every((element) => element === "head")) inTitle = true;
				// Pages that never close <head> still have a body.
				if (name === "body") skipped.splice(0, skipped.length);
				if (skippedElements.has(name)) {
					skipped.push(name);
					return;
				}
				if (skipped.length > 0) return;
				const level = headingLevels[name];
				if (level !== undefined) {
					finishLine(2);
					linePrefix = `${"#".repeat(level)} `;
					headingDepth++;
				} else if (paragraphElements.has(name)) {
					finishLine(2);
					if (name === "pre") preDepth++;
				} else if (lineElements.has(name)) {
					finishLine(1);
					if (name === "li") linePrefix = "- ";
				} else if (name === "br") {
					if (headingDepth > 0) appendText(" ");
					else finishLine(1);
				} else if ((name === "td" || name === "th") && current.trim() !== "") {
					current = `${current.trimEnd()} | `;
				}
			},
			ontext(text) {
				if (inTitle) titleText += text;
				else if (skipped.length === 0) appendText(text);
			},
			onclosetag(name) {
				if (name === "title") inTitle = false;
				if (skippedElements.has(name)) {
					const index = skipped.lastIndexOf(name);
					if (index >= 0) skipped.splice(index);
					return;
				}
				if (skipped.length > 0) return;
				if (headingLevels[name] !== undefined) {
					headingDepth = Math.max(0, headingDepth - 1);
					finishLine(2);
				} else if (paragraphElements.has(name)) {
					finishLine(2);
					if (name === "pre") preDepth = Math.max(0, preDepth - 1);
				} else if (lineElements.has(name)) {
					finishLine(1);
				}
			},
		},
		{ decodeEntities: true, lowerCaseTags: true },
	);
	parser.write(html);
	parser.end();
	finishLine(1);

	const title = titleText.replace(/\s+/g, " ").trim();
	return { title: title !== "" ? title : firstHeading, text: lines.join("\n") };
}

/** The charset an HTML file declares in a <meta> element near its start, if any. */
export function declaredHtmlCharset(bytes: Uint8Array): string | undefined {
	const head = new TextDecoder("latin1").decode(bytes.subarray(0, 2048));
	return /<meta[^>]{0,200}?charset\s*=\s*["']?([\w.:-]{1,40})/i.exec(head)?.[1];
}
