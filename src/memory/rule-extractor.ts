import { type CandidateMemory, fold, type MemorySubject, type Polarity } from "./memory-candidate.js";
import { mentionsOccupation, preferenceDimension } from "./rule-lexicon.js";
import {
	fillTemplate,
	type LanguageRules,
	type Slots,
	type StatementPattern,
	shapeValue,
	type Topic,
	templateReader,
} from "./rule-patterns.js";
import { englishRules } from "./rule-patterns-english.js";
import { portugueseRules } from "./rule-patterns-portuguese.js";
import { spanishRules } from "./rule-patterns-spanish.js";

/**
 * The deterministic extractor used with the offline mock model (and when a real model's
 * extraction fails): first-person statements and preferences in English, Portuguese and Spanish,
 * found by the pattern tables, written as short third-person memories in the user's language.
 *
 * Deliberately conservative: a sentence that is a question, a hypothesis, a wish, a plan or an
 * opinion yields nothing, and so does any clause whose grammatical subject is someone else.
 * Forgetting a fact costs little; remembering a wrong one misleads every later answer.
 */

const languages: LanguageRules[] = [englishRules, portugueseRules, spanishRules];
/** Longer messages are documents or pasted text, not statements about oneself; their start is enough. */
const maximumMessageLength = 4000;
const maximumCandidates = 10;

const notInWord = "(?![\\p{L}\\p{N}])";
const wordStart = "(?<![\\p{L}\\p{N}'])";
const questionStart = new RegExp(
	`^(?:¿|(?:am|do|did|was|were|have|has|is|are|can|could|should|will|would|shall) (?:i|my|you|we)${notInWord}|` +
		`(?:what|where|who|whom|whose|why|when|how|which|tell me|guess|sou eu|será|sera|qual|quais|quem|onde|como|` +
		`quando|quanto|quantos|porquê|o que|por que|você sabe|voce sabe|soy yo|qué|que|cuál|cuáles|quién|quiénes|` +
		`dónde|donde|cómo|cuándo|cuanto|cuánto|cuántos|por qué|sabes)${notInWord})`,
	"iu",
);
const hypothetical = new RegExp(
	`${wordStart}(?:if|would|could|might|maybe|perhaps|suppose|supposing|imagine|pretend|hypothetically|wish|` +
		`someday|wonder|let's say|what if|i'd|i'll|i will|going to|gonna|want to be|used to|when i was|i think|` +
		`i guess|i believe|not sure|probably|in the future|one day|se|seria|seriam|fosse|fossem|estivesse|` +
		`imagin\\p{L}*|supo\\p{L}*|talvez|quem sabe|caso|gostaria|queria ser|quando eu era|costumava|acho|` +
		`vou ser|um dia|sonho|no futuro|si|sería|serían|fuera|fuese|estuviera|quizás|quizá|quizas|tal vez|ojalá|` +
		`gustaría|creo que|cuando era|solía|voy a ser|algún día|en el futuro)${notInWord}`,
	"iu",
);
// "I'd prefer" and "I would rather" state a preference, not a hypothesis.
const preferenceConditional = /(?:would|'d) (prefer|rather)/giu;

const spacedMarkers =
	/^(?:actually|well|so|also|oh|okay|ok|by the way|btw|fyi|just so you know|for the record|to be honest|honestly|in fact|anyway|hi|hello|hey|and|but|now|na verdade|aliás|alias|então|entao|bem|bom|olá|ola|oi|ah|também|tambem|pois|e|mas|agora|en realidad|de hecho|bueno|pues|hola|por cierto|y|pero|ahora|la verdad es que|la verdad)(?:\s*[,!:]\s*|\s+)/iu;
const commaMarkers = /^(?:yes|yeah|yep|no|nope|sim|não|nao|sí|si|vale|claro)\s*[,!:]\s*/iu;
const firstPersonStart =
	"(?:i|i'm|im|i've|my|eu|meu|minha|sou|moro|vivo|tenho|trabalho|gosto|prefiro|adoro|odeio|nasci|yo|mi|soy|tengo|trabajo|prefiero|odio|nací|me|não|no)\\s";
const clauseBoundary = new RegExp(
	`\\s*[,;]?\\s+(?:and|but|also|e|mas|y|pero)\\s+(?=${firstPersonStart})|,\\s+(?=${firstPersonStart})`,
	"iu",
);

interface Sentence {
	text: string;
	question: boolean;
}

function sentencesOf(message: string): Sentence[] {
	const normalized = message
		.slice(0, maximumMessageLength)
		.replace(/[’‘´`]/g, "'")
		.replace(/[“”«»]/g, '"');
	const sentences: Sentence[] = [];
	for (const line of normalized.split(/\n+/)) {
		for (const piece of line.split(/(?<=[.!?…;])\s+/)) {
			const text = piece.replace(/\s+/g, " ").trim();
			if (text.length === 0) continue;
			const question = /\?["')\]]*$/.test(text) || text.startsWith("¿") || questionStart.test(withoutMarkers(text));
			sentences.push({ text, question });
		}
	}
	return sentences;
}

function withoutMarkers(text: string): string {
	let current = text.trim();
	let previous: string;
	do {
		previous = current;
		current = current.replace(spacedMarkers, "").replace(commaMarkers, "").trim();
	} while (current !== previous);
	return current;
}

function clausesOf(sentence: string): string[] {
	return sentence
		.split(clauseBoundary)
		.map((clause) =>
			withoutMarkers(clause)
				.replace(/^["'(]+|["')\].!…;:,]+$/gu, "")
				.trim(),
		)
		.filter((clause) => clause.length > 0);
}

function resolveSubject(topic: Topic, polarity: Polarity, slots: Slots, text: string): MemorySubject {
	const value = slots.value ?? "";
	const single = (subject: string): MemorySubject => ({ subject, singleValued: true, polarity, value: fold(value) });
	const multiple = (subject: string): MemorySubject => ({ subject, singleValued: false, polarity, value: fold(value) });
	switch (topic) {
		case "attribute":
			return mentionsOccupation(value) ? single("occupation") : multiple(`attribute:${fold(value)}`);
		case "taste":
		case "preference": {
			const dimension = preferenceDimension(text);
			return dimension === undefined ? multiple(`${topic}:${fold(value)}`) : single(`preference:${dimension}`);
		}
		case "favorite":
			return single(`favorite:${fold(slots.thing ?? "")}`);
		case "possession":
			return multiple(`possession:${fold(value)}`);
		default:
			return single(topic);
	}
}

function slotsOf(groups: Record<string, string | undefined>, value: string): Slots {
	const slots: Slots = {};
	for (const [name, slot] of Object.entries(groups)) {
		if (slot !== undefined && name !== "value") slots[name] = slot.toLowerCase().trim();
	}
	slots.value = value;
	return slots;
}

function candidateFrom(pattern: StatementPattern, clause: string, rules: LanguageRules): CandidateMemory | undefined {
	const match = pattern.match.exec(clause);
	const raw = match?.groups?.value;
	if (match?.groups === undefined || raw === undefined) return undefined;
	if (pattern.requiresCapital && !/^\p{Lu}/u.test(raw.trim())) return undefined;
	const value = shapeValue(pattern.shape, raw);
	if (value === undefined) return undefined;
	let slots = slotsOf(match.groups, value);
	if (pattern.rewrite !== undefined) slots = pattern.rewrite(slots);
	const text = fillTemplate(pattern.template, slots);
	const subject = resolveSubject(pattern.topic, pattern.polarity, slots, text);
	// "I'm not a teacher" about a one-valued subject says only that the old value is gone.
	if (subject.singleValued && subject.polarity === "negative") subject.polarity = "retract";
	return { ...subject, text, kind: pattern.kind, language: rules.language };
}

function candidateOf(clause: string): CandidateMemory | undefined {
	for (const rules of languages) {
		for (const pattern of rules.patterns) {
			const candidate = candidateFrom(pattern, clause, rules);
			if (candidate !== undefined) return candidate;
		}
	}
	return undefined;
}

/**
 * Memories a message states about its author, at most one per subject (the last statement wins:
 * "I live in Lisbon. Actually, I live in Porto now." gives "Lives in Porto").
 */
export function extractMemoryCandidates(message: string): CandidateMemory[] {
	const bySubject = new Map<string, CandidateMemory>();
	for (const sentence of sentencesOf(message)) {
		if (sentence.question || hypothetical.test(sentence.text.replace(preferenceConditional, "$1"))) continue;
		for (const clause of clausesOf(sentence.text)) {
			const candidate = candidateOf(clause);
			if (candidate === undefined) continue;
			bySubject.delete(candidate.subject);
			bySubject.set(candidate.subject, candidate);
		}
	}
	return [...bySubject.values()].slice(-maximumCandidates);
}

const readers = languages
	.flatMap((rules) => rules.patterns.map((pattern) => ({ pattern, ...templateReader(pattern.template) })))
	.sort((left, right) => right.specificity - left.specificity);

/**
 * What a stored memory is about, so a new statement can repeat, replace or retract it: memories
 * written by this extractor are read back through their templates; memories in the user's own
 * words ("I live in Lisbon", added through the API) through the extractor itself. Undefined
 * when neither recognises it; such memories are only ever compared by similarity.
 */
export function subjectOfMemory(text: string): MemorySubject | undefined {
	const trimmed = text
		.trim()
		.replace(/[.!]+$/, "")
		.replace(/\s+/g, " ");
	for (const { pattern, reader } of readers) {
		const groups = reader.exec(trimmed)?.groups;
		if (groups?.value === undefined) continue;
		const polarity = pattern.polarity === "retract" ? "negative" : pattern.polarity;
		return resolveSubject(pattern.topic, polarity, slotsOf(groups, groups.value), trimmed);
	}
	const [candidate] = extractMemoryCandidates(trimmed);
	if (candidate === undefined) return undefined;
	const { subject, singleValued, polarity, value } = candidate;
	return { subject, singleValued, polarity: polarity === "retract" ? "negative" : polarity, value };
}
