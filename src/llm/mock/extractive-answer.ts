import type { ContextPassage } from "../../rag/context-format.js";

/**
 * The offline mock model's answer when passages were retrieved: the sentences that best match the
 * question, each followed by its citation marker. Lexical and deterministic — it cannot reason,
 * but it answers from the user's documents instead of echoing the question.
 */

const maximumSentences = 3;
const maximumCharacters = 700;

// Function words of English, Portuguese and Spanish: they match everything and mean nothing here.
const stopwords = new Set(
	(
		"a an and are as at be by de del do does el em en es et for from how in is it la las los me my no " +
		"o of on or os para por que qué se the this to um uma un una what when where which who why with you " +
		"como cómo funciona funcionam sobre com mais muito this that those these your yo eu tu ele ela"
	).split(" "),
);

/** Lower case, no accents, and words cut to six letters: a crude stem that spans en/pt/es inflections. */
function terms(text: string): string[] {
	const words = text
		.normalize("NFD")
		.replace(/\p{Diacritic}/gu, "")
		.toLowerCase()
		.split(/[^\p{L}\p{N}]+/u);
	const result: string[] = [];
	for (const word of words) {
		if (word.length < 2 || stopwords.has(word)) continue;
		result.push(word.length > 6 ? word.slice(0, 6) : word);
	}
	return result;
}

function sentencesOf(text: string): string[] {
	return text
		.split(/\n+|(?<=[.!?])\s+/u)
		.map((sentence) => sentence.replace(/^#+\s*/, "").trim())
		.filter((sentence) => sentence.length > 0);
}

interface Candidate {
	sentence: string;
	citation: number;
	score: number;
	order: number;
}

export function extractiveAnswer(question: string, passages: readonly ContextPassage[]): string {
	const wanted = new Set(terms(question));
	const candidates: Candidate[] = [];
	// Rarer question terms (within these passages) say more about relevance than common ones.
	const sentenceTerms: Array<{ sentence: string; citation: number; terms: Set<string> }> = [];
	const documentFrequency = new Map<string, number>();
	for (const passage of passages) {
		for (const sentence of sentencesOf(passage.text)) {
			const own = new Set(terms(sentence));
			sentenceTerms.push({ sentence, citation: passage.number, terms: own });
			for (const term of own) if (wanted.has(term)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
		}
	}
	sentenceTerms.forEach((entry, order) => {
		let score = 0;
		for (const term of entry.terms) {
			if (wanted.has(term)) score += 1 + Math.log(sentenceTerms.length / (documentFrequency.get(term) ?? 1));
		}
		if (score > 0) candidates.push({ sentence: entry.sentence, citation: entry.citation, score, order });
	});
	if (candidates.length === 0) {
		const cited = passages.map((passage) => `[${passage.number}]`).join("");
		return `The retrieved documents do not seem to answer this directly. The closest passages are ${cited}.`;
	}
	candidates.sort((left, right) => right.score - left.score || left.order - right.order);
	const chosen: Candidate[] = [];
	let length = 0;
	for (const candidate of candidates) {
		if (chosen.length >= maximumSentences) break;
		if (chosen.length > 0 && length + candidate.sentence.length > maximumCharacters) continue;
		chosen.push(candidate);
		length += candidate.sentence.length;
	}
	// Read in document order, so the answer flows like the source does.
	chosen.sort((left, right) => left.order - right.order);
	return chosen.map((candidate) => `${candidate.sentence} [${candidate.citation}]`).join(" ");
}
