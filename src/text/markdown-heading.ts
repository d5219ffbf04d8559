/**
 * An ATX Markdown heading ("## Title ##"), parsed in linear time. A regular expression with a
 * lazy title followed by optional trailing spaces and "#"s backtracks quadratically on long
 * lines (a 1 MB line starting with "# " would block the event loop for minutes).
 */
export function parseHeading(line: string): { level: number; title: string } | null {
	const opening = /^ {0,3}(#{1,6})(?:[ \t]|$)/.exec(line);
	if (opening === null) return null;
	const start = opening[0].length;
	let end = line.length;
	while (end > start && (line[end - 1] === " " || line[end - 1] === "\t")) end--;
	let closing = end;
	while (closing > start && line[closing - 1] === "#") closing--;
	// A closing run of "#" counts only when a space separates it from the text.
	if (closing < end && (closing === start || line[closing - 1] === " " || line[closing - 1] === "\t")) end = closing;
	return { level: (opening[1] as string).length, title: line.slice(start, end).trim() };
}
