import type { MemoryKind, MemoryRecord } from "../store/memory-port.js";
import { type CandidateMemory, fold, type MemorySubject } from "./memory-candidate.js";
import { subjectOfMemory } from "./rule-extractor.js";

/**
 * Deciding what a new statement does to what is already remembered, as mem0 does: add it, update
 * an old memory it corrects, delete one it retracts, or nothing when it is already known. The
 * model-based extractor gets these decisions from the model; for the rule-based one they come
 * from here.
 */

export type MemoryDecision =
	| { event: "ADD"; text: string; kind: MemoryKind }
	| { event: "UPDATE"; id: string; text: string; kind: MemoryKind }
	| { event: "DELETE"; id: string }
	| { event: "NOOP" };

export interface Neighbour {
	memory: MemoryRecord;
	/** Cosine similarity to the new statement. */
	score: number;
}

interface ReadNeighbour extends Neighbour {
	subject: MemorySubject | undefined;
}

function read(neighbours: readonly Neighbour[]): ReadNeighbour[] {
	return [...neighbours]
		.sort((left, right) => right.score - left.score)
		.map((neighbour) => ({ ...neighbour, subject: subjectOfMemory(neighbour.memory.text) }));
}

/**
 * Whether a memory with this text is already known: the same words, or a neighbour so similar it
 * says the same thing. Similar texts about different subjects or with opposite polarity ("Is
 * vegetarian" and "Is not vegetarian" are close in any embedding) are never duplicates.
 */
export function findDuplicate(
	text: string,
	neighbours: readonly Neighbour[],
	duplicateThreshold: number,
): MemoryRecord | undefined {
	const folded = fold(text);
	const subject = subjectOfMemory(text);
	const negated = isNegated(folded);
	for (const neighbour of read(neighbours)) {
		const neighbourText = fold(neighbour.memory.text);
		if (neighbourText === folded) return neighbour.memory;
		// Embedders often drop "not" as a stop word: "Eats meat" and "Does not eat meat" score alike.
		if (neighbour.score < duplicateThreshold || isNegated(neighbourText) !== negated) continue;
		if (subject === undefined || neighbour.subject === undefined) return neighbour.memory;
		if (
			subject.subject === neighbour.subject.subject &&
			subject.polarity === neighbour.subject.polarity &&
			subject.value === neighbour.subject.value
		) {
			return neighbour.memory;
		}
	}
	return undefined;
}

const negation =
	/(?:^| )(?:not|no|never|dont|doesnt|don t|doesn t|isnt|isn t|nao|nunca|jamais|nem|ya no|jamas|tampoco|dislikes)(?: |$)/;

function isNegated(folded: string): boolean {
	return negation.test(folded);
}

/** What one statement found by the rule-based extractor does to the user's nearest memories. */
export function reconcileCandidate(
	candidate: CandidateMemory,
	neighbours: readonly Neighbour[],
	duplicateThreshold: number,
): MemoryDecision[] {
	const sameSubject = read(neighbours).filter((neighbour) => neighbour.subject?.subject === candidate.subject);

	if (candidate.polarity === "retract") {
		// "I no longer live in Lisbon" removes "Lives in Lisbon", not a home elsewhere; "I'm no longer
		// vegetarian" removes "Is vegetarian" and leaves a "Is not vegetarian" that agrees with it.
		const retracted = sameSubject.filter((neighbour) =>
			candidate.singleValued
				? candidate.value === "" || neighbour.subject?.value === candidate.value
				: neighbour.subject?.polarity === "positive",
		);
		return retracted.map((neighbour) => ({ event: "DELETE", id: neighbour.memory.id }));
	}

	const folded = fold(candidate.text);
	const known = sameSubject.some(
		(neighbour) =>
			fold(neighbour.memory.text) === folded ||
			(neighbour.subject?.polarity === candidate.polarity && neighbour.subject?.value === candidate.value),
	);
	if (known) return [{ event: "NOOP" }];

	const contradicted = candidate.singleValued
		? sameSubject
		: sameSubject.filter((neighbour) => neighbour.subject?.polarity !== candidate.polarity);
	if (contradicted.length > 0) {
		// The closest one becomes the new statement; any others on that subject are now wrong too.
		const [closest, ...others] = contradicted;
		return [
			{ event: "UPDATE", id: closest!.memory.id, text: candidate.text, kind: candidate.kind },
			...others.map((neighbour): MemoryDecision => ({ event: "DELETE", id: neighbour.memory.id })),
		];
	}

	if (findDuplicate(candidate.text, neighbours, duplicateThreshold) !== undefined) return [{ event: "NOOP" }];
	return [{ event: "ADD", text: candidate.text, kind: candidate.kind }];
}
