import type { MemoryKind } from "../store/memory-port.js";
import type { Polarity, StatementLanguage } from "./memory-candidate.js";
import { isAboutTheWorld, isDurableAttribute } from "./rule-lexicon.js";

/**
 * The shape of the rule tables (rule-patterns-english.ts, -portuguese.ts, -spanish.ts) and the
 * helpers they share. A pattern matches one whole clause, first person, already stripped of
 * discourse markers ("actually", "aliás", "por cierto"); its template writes the memory in the
 * third person and, read backwards, recognises memories written in that form.
 */

export type Topic =
	| "name"
	| "residence"
	| "age"
	| "origin"
	| "birthplace"
	| "occupation"
	| "employer"
	| "favorite"
	| "possession"
	| "attribute"
	| "taste"
	| "preference";

/** How a captured value is cleaned and checked; "fixed" is for values the pattern itself enumerates. */
export type ValueShape = "name" | "place" | "phrase" | "attribute" | "age" | "fixed";

export type Slots = Record<string, string>;

export interface StatementPattern {
	/** Anchored, case-insensitive; the captured `value` (and `thing`, `prep`, `verb`, `adjective`) fill the template. */
	match: RegExp;
	topic: Topic;
	kind: MemoryKind;
	polarity: Polarity;
	/** "Lives in {value}"; the first letter of the result is capitalised. */
	template: string;
	shape: ValueShape;
	/** Rewrites slots before the template is filled ("formalmente" → "formal", article "o" → prep "no"). */
	rewrite?: (slots: Slots) => Slots;
	/** The value must start with a capital letter as typed: "call me Ana" is a name, "call me later" is not. */
	requiresCapital?: boolean;
}

export interface LanguageRules {
	language: StatementLanguage;
	patterns: StatementPattern[];
}

/** Builds a pattern; `source` is anchored and matched case-insensitively with Unicode classes. */
export function statement(
	source: string,
	topic: Topic,
	kind: MemoryKind,
	polarity: Polarity,
	template: string,
	shape: ValueShape,
	options: Pick<StatementPattern, "rewrite" | "requiresCapital"> = {},
): StatementPattern {
	return { match: new RegExp(`^${source}$`, "iu"), topic, kind, polarity, template, shape, ...options };
}

/** Replaces the value through a table of folded keys, keeping values the table does not know. */
export function mapValue(table: Record<string, string>): (slots: Slots) => Slots {
	return (slots) => ({ ...slots, value: table[(slots.value ?? "").toLowerCase()] ?? slots.value ?? "" });
}

// Everything after these belongs to another thought: "I live in Lisbon, because…", "moro em Lisboa porque…".
const clauseCut =
	/\s*(?:[,;:()]|\s-\s|\s(?:because|since|but|which|who|when|though|although|porque|pois|mas|que|embora|quando|pero|aunque|cuando|donde|onde)\s).*$/iu;
// Within a place, a name or an attribute, "and …" starts another statement ("I'm married and have two kids"),
// and a time says when, not what ("I moved to Berlin last year").
const conjunctionCut =
	/\s(?:and|with|for|e|com|há|y|con|desde|hace|last|recently|recentemente|recién|(?:\p{L}+|\d+) (?:years?|months?|weeks?|days?) ago|(?:no |o )?(?:ano|mês|mes) passado|el (?:año|mes) pasado)(?:\s.*)?$/iu;
const trailingFillers =
	/\s+(?:now|nowadays|these days|anymore|any more|too|as well|please|thanks|thank you|agora|atualmente|actualmente|hoje em dia|também|tambem|mais|por favor|obrigado|obrigada|ahora|hoy en día|ya|más|gracias)$/iu;
const nameStopwords = new Set(
	`not going sure here from the a an just also really very currently no so tired um uma o el la nao não muy ya
	still now happy glad sorry fine good great ok okay back ready done home busy hungry new bored excited confused
	lost late alone right wrong well listening dr mr mrs ms prof`.split(/\s+/),
);
const lowercaseParticles = new Set(["de", "do", "da", "dos", "das", "del", "la", "of", "the", "e", "y"]);

function tidy(value: string, cutConjunctions: boolean): string {
	let tidied = value.replace(clauseCut, "");
	if (cutConjunctions) tidied = tidied.replace(conjunctionCut, "");
	tidied = tidied.replace(/["'`.!?…]+$/u, "").trim();
	let previous: string;
	do {
		previous = tidied;
		tidied = tidied.replace(trailingFillers, "").trim();
	} while (tidied !== previous);
	return tidied;
}

function titleCase(value: string): string {
	if (value !== value.toLowerCase()) return value;
	return value
		.split(" ")
		.map((word, index) =>
			index > 0 && lowercaseParticles.has(word) ? word : word.charAt(0).toUpperCase() + word.slice(1),
		)
		.join(" ");
}

/** The cleaned value, or undefined when it is not a value of this shape. */
export function shapeValue(shape: ValueShape, raw: string): string | undefined {
	switch (shape) {
		case "fixed":
			return raw.trim();
		case "age": {
			const age = Number(raw.trim());
			return /^\d{1,3}$/.test(raw.trim()) && age >= 1 && age <= 120 ? String(age) : undefined;
		}
		case "name": {
			const words: string[] = [];
			for (const word of tidy(raw, true).split(/\s+/)) {
				if (!/^\p{L}[\p{L}'-]*$/u.test(word) || words.length === 3) break;
				words.push(word);
			}
			if (words.length === 0 || nameStopwords.has(words[0]!.toLowerCase())) return undefined;
			return words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(" ");
		}
		case "place": {
			const place = tidy(raw, true);
			if (place.length === 0 || place.split(/\s+/).length > 6 || !isAboutTheWorld(place)) return undefined;
			return titleCase(place);
		}
		case "attribute": {
			const attribute = tidy(raw, true);
			return attribute.length > 0 && isDurableAttribute(attribute) ? attribute : undefined;
		}
		case "phrase": {
			const phrase = tidy(raw, false);
			if (phrase.length === 0 || phrase.length > 120 || phrase.split(/\s+/).length > 12) return undefined;
			return isAboutTheWorld(phrase) ? phrase : undefined;
		}
	}
}

/** Fills a template; the result starts with a capital letter. */
export function fillTemplate(template: string, slots: Slots): string {
	const text = template.replace(/\{(\w+)\}/g, (_placeholder, name: string) => slots[name] ?? "").replace(/\s+/g, " ");
	return text.charAt(0).toUpperCase() + text.slice(1);
}

const slotPatterns: Record<string, string> = {
	value: "(?<value>.+)",
	thing: "(?<thing>[\\p{L}\\p{N}' -]{1,40}?)",
	adjective: "(?<adjective>favorit[ao]s?|preferid[ao]s?)",
	prep: "(?<prep>em|no|na|nos|nas|de|do|da|dos|das|en|para|pra|at|for)",
	verb: "(?<verb>\\p{L}+)",
};

/**
 * The template read backwards: "Lives in {value}" recognises the stored memory "Lives in Lisbon".
 * Returns how specific it is too (literal characters, then slots), so that specific templates
 * ("Is from {value}", "É {prep} {value}") are tried before general ones ("Is {value}", "É {value}").
 */
export function templateReader(template: string): { reader: RegExp; specificity: number } {
	let source = "";
	let specificity = 0;
	for (const part of template.split(/(\{\w+\})/)) {
		const slot = /^\{(\w+)\}$/.exec(part)?.[1];
		if (slot !== undefined) {
			source += slotPatterns[slot] ?? `(?<${slot}>.+?)`;
			specificity += 0.5;
		} else {
			specificity += part.length;
			source += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
		}
	}
	return { reader: new RegExp(`^${source}$`, "iu"), specificity };
}
