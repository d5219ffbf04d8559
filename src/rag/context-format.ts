/**
 * How retrieved passages are put in front of a model: numbered blocks in the system prompt, cited
 * as [n] in answers. One module writes and reads the format, so the offline mock model can answer
 * from exactly what a real model would have been given.
 */

export interface ContextPassage {
	/** 1-based citation number. */
	number: number;
	title: string;
	heading: string | null;
	text: string;
}

const header = "Answer using the numbered passages below when they help, and cite them like [1].";
const noAnswerHint = "If they do not contain the answer, say that the documents do not cover it.";
const passageLine = /^\[(\d+)\] (.*)$/;

export function formatContextPassages(passages: readonly ContextPassage[]): string {
	const blocks = passages.map(
		(passage) =>
			`[${passage.number}] ${passage.heading ? `${passage.title} — ${passage.heading}` : passage.title}\n${passage.text.trim()}`,
	);
	return `${header} ${noAnswerHint}\n\n${blocks.join("\n\n")}`;
}

/** The passages of a system prompt written by formatContextPassages; empty when there are none. */
export function parseContextPassages(systemPrompt: string): ContextPassage[] {
	const start = systemPrompt.indexOf(header);
	if (start < 0) return [];
	const passages: ContextPassage[] = [];
	let current: ContextPassage | undefined;
	for (const line of systemPrompt.slice(start).split("\n").slice(1)) {
		const match = passageLine.exec(line);
		if (match) {
			current = { number: Number(match[1]), title: match[2] ?? "", heading: null, text: "" };
			passages.push(current);
		} else if (current) {
			current.text = current.text === "" ? line : `${current.text}\n${line}`;
		}
	}
	for (const passage of passages) passage.text = passage.text.trim();
	return passages;
}
