import { unreadable } from "./text-decoding.js";

/**
 * JSON → readable lines a person (and a keyword search) understands: "key: value" for scalars,
 * nested objects as "#" headings named by their key (so chunks carry their path as a heading),
 * arrays of scalars as one comma-separated line, array items as numbered sub-headings. Past
 * Markdown's six heading levels, deeper values are written as dotted paths ("a.b.c: value").
 */

export interface JsonText {
	/** A top-level "title" or "name" string, when the document has one. */
	title: string | null;
	text: string;
}

/** Deeper nesting than this is refused rather than risking the stack on hostile input. */
const maximumDepth = 200;
const maximumHeadingLevel = 6;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function jsonToText(source: string): JsonText {
	let value: Json;
	try {
		value = JSON.parse(source) as Json;
	} catch (error) {
		throw unreadable(`it is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
	}
	const lines: string[] = [];
	try {
		render(value, [], 0, lines);
	} catch (error) {
		if (error instanceof RangeError) throw unreadable("the JSON is nested too deeply");
		throw error;
	}
	return { title: titleOf(value), text: lines.join("\n") };
}

function titleOf(value: Json): string | null {
	if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
	for (const key of ["title", "name", "Title", "Name"]) {
		const candidate = value[key];
		if (typeof candidate === "string" && candidate.trim() !== "") return candidate.trim().slice(0, 200);
	}
	return null;
}

const isScalar = (value: Json): value is null | boolean | number | string =>
	value === null || typeof value !== "object";

function scalarText(value: null | boolean | number | string): string {
	if (typeof value === "string") return value.replaceAll("\r\n", "\n").replaceAll("\n", " ").trim();
	return String(value);
}

/** Writes `value` found at `path`; `depth` is its heading depth (0 for the top level). */
function render(value: Json, path: string[], depth: number, lines: string[]): void {
	if (depth > maximumDepth) throw new RangeError("too deep");
	if (isScalar(value)) {
		const text = scalarText(value);
		if (text !== "") lines.push(path.length === 0 ? text : `${path.at(-1)}: ${text}`);
		return;
	}
	const entries: Array<[string, Json]> = Array.isArray(value)
		? value.map((item, index) => [String(index + 1), item])
		: Object.entries(value);
	// Scalars first, as "key: value" lines under the current heading; then nested values.
	for (const [key, item] of entries) {
		if (isScalar(item)) {
			const text = scalarText(item);
			if (text !== "") lines.push(`${Array.isArray(value) ? `- ${key}.` : `${key}:`} ${text}`);
		} else if (Array.isArray(item) && item.every(isScalar) && item.length > 0) {
			lines.push(`${key}: ${item.map(scalarText).join(", ")}`);
		}
	}
	for (const [key, item] of entries) {
		if (isScalar(item) || (Array.isArray(item) && item.every(isScalar))) continue;
		const childPath = [...path, Array.isArray(value) ? `${path.at(-1) ?? "item"} ${key}` : key];
		const level = depth + 1;
		if (level <= maximumHeadingLevel) {
			if (lines.length > 0) lines.push("");
			lines.push(`${"#".repeat(level)} ${childPath.at(-1)}`);
			render(item, childPath, level, lines);
		} else {
			renderAsPaths(item, childPath, lines, level);
		}
	}
}

/** Past the deepest heading: every scalar on its own line, named by its dotted path. */
function renderAsPaths(value: Json, path: string[], lines: string[], depth: number): void {
	if (depth > maximumDepth) throw new RangeError("too deep");
	if (isScalar(value)) {
		const text = scalarText(value);
		if (text !== "") lines.push(`${path.join(".")}: ${text}`);
		return;
	}
	const entries: Array<[string, Json]> = Array.isArray(value)
		? value.map((item, index) => [String(index + 1), item])
		: Object.entries(value);
	for (const [key, item] of entries) renderAsPaths(item, [...path, key], lines, depth + 1);
}
