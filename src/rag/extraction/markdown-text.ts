import { parseHeading } from "../../text/markdown-heading.js";
/**
 * Markdown is kept as written, with one change the chunker needs: "Setext" headings (a line
 * underlined with === or ---) are rewritten as "#" headings, because chunks follow "#" lines
 * only. Fenced code and YAML front matter are left alone (a "# comment" in a shell snippet is
 * not a heading). The title is the front matter's `title`, else the first heading.
 */

export interface MarkdownText {
	title: string | null;
	text: string;
}

/**
 * The text of an "# Heading #" line, or null. Hand-written rather than one regular expression:
 * a lazy group followed by an optional closing run backtracks quadratically on long lines.
 */
function unquote(value: string): string {
	const first = value[0];
	return value.length >= 2 && (first === '"' || first === "'") && value.endsWith(first) ? value.slice(1, -1) : value;
}

export function normaliseMarkdown(source: string): MarkdownText {
	const lines = source.split("\n");
	const output: string[] = [];
	let title: string | null = null;
	let firstHeading: string | null = null;
	let fence: string | null = null;
	let index = 0;

	if (lines[0]?.trimEnd() === "---") {
		const end = lines.findIndex((line, position) => position > 0 && /^(---|\.\.\.)\s*$/.test(line));
		if (end > 0) {
			for (const line of lines.slice(1, end)) {
				if (line.toLowerCase().startsWith("title:")) title = unquote(line.slice("title:".length).trim()) || title;
			}
			for (const line of lines.slice(0, end + 1)) output.push(line);
			index = end + 1;
		}
	}

	for (; index < lines.length; index++) {
		const line = lines[index] as string;
		const fenceMarker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
		if (fence !== null) {
			if (fenceMarker !== undefined && fenceMarker[0] === fence[0] && fenceMarker.length >= fence.length) fence = null;
			output.push(line);
			continue;
		}
		if (fenceMarker !== undefined) {
			fence = fenceMarker;
			output.push(line);
			continue;
		}
		const heading = parseHeading(line)?.title ?? null;
		if (heading !== null) {
			firstHeading ??= heading || null;
			output.push(line);
			continue;
		}
		const next = lines[index + 1];
		const underline = next === undefined ? null : /^ {0,3}(=+|-+)[ \t]*$/.exec(next);
		const previous = output.at(-1);
		const startsParagraph = previous === undefined || previous.trim() === "";
		if (underline && line.trim() !== "" && startsParagraph && !/^ {4}|^\t/.test(line)) {
			const level = underline[1]?.startsWith("=") ? "#" : "##";
			firstHeading ??= line.trim();
			output.push(`${level} ${line.trim()}`);
			index++;
			continue;
		}
		output.push(line);
	}
	return { title: title ?? firstHeading, text: output.join("\n") };
}
