import { parse } from "csv-parse/sync";
import { unreadable } from "./text-decoding.js";

/**
 * CSV → one line per data row, each value named by its column: "city: Lisbon; country: Portugal".
 * A row read on its own (as a retrieved chunk is) then still says what its values mean. The
 * first row is the header. Comma, semicolon (common where the decimal separator is a comma) and
 * tab delimiters are recognised from the header line.
 */

const candidateDelimiters = [",", ";", "\t"] as const;

export function csvToText(source: string): string {
	const delimiter = detectDelimiter(source);
	let records: string[][];
	try {
		records = parse(source, { delimiter, bom: true, skip_empty_lines: true, relax_quotes: false });
	} catch (error) {
		throw unreadable(`it is not valid CSV (${error instanceof Error ? error.message : String(error)})`);
	}
	const [header, ...rows] = records;
	if (header === undefined) return "";
	const columns = header.map((name, index) => (name.trim() === "" ? `column ${index + 1}` : name.trim()));
	const lines: string[] = [];
	for (const row of rows) {
		const cells: string[] = [];
		for (const [index, value] of row.entries()) {
			const text = value.replaceAll("\r\n", "\n").replaceAll("\n", " ").trim();
			if (text !== "") cells.push(`${columns[index] ?? `column ${index + 1}`}: ${text}`);
		}
		if (cells.length > 0) lines.push(cells.join("; "));
	}
	return lines.join("\n");
}

/** The candidate found most often in the first line, outside quotes; comma when none is. */
function detectDelimiter(source: string): string {
	const counts = new Map<string, number>(candidateDelimiters.map((candidate) => [candidate, 0]));
	let quoted = false;
	for (let index = 0; index < source.length && index < 64 * 1024; index++) {
		const character = source[index] as string;
		if (character === '"') quoted = !quoted;
		else if (!quoted && (character === "\n" || character === "\r")) break;
		else if (!quoted && counts.has(character)) counts.set(character, (counts.get(character) ?? 0) + 1);
	}
	let best = ",";
	let bestCount = 0;
	for (const [candidate, count] of counts) {
		if (count > bestCount) {
			best = candidate;
			bestCount = count;
		}
	}
	return best;
}
