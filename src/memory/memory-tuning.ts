/**
 * The numbers memory decisions rest on. Cosine thresholds suit both the local lexical embedder
 * (unrelated texts score ~0, a shared subject 0.35–0.7, a rewording 0.8+) and provider embedders
 * (unrelated ~0.1–0.2); tests and deployments with other embedders may pass their own.
 */
export interface MemoryTuning {
	/** Two memories at least this similar say the same thing (unless they differ in subject or negation). */
	duplicateThreshold: number;
	/** A fact at least this similar to the prompt is relevant to it; preferences are always relevant. */
	relevanceFloor: number;
	/**
	 * The user's memories, nearest first, that a new statement is checked against for repeats and
	 * contradictions. Users have a few hundred memories at most in practice; the store scans them
	 * all, so this only bounds how many are read back whole.
	 */
	neighbourCount: number;
	/** Existing memories shown to a model deciding what a message changes (mem0 shows a handful too). */
	modelNeighbourCount: number;
	/** Nearest facts considered for a prompt's context, before the similarity floor and the token budget. */
	contextCandidateCount: number;
	/** Preferences injected at most (newest first), whatever the prompt. */
	maximumPreferences: number;
}

export const defaultMemoryTuning: MemoryTuning = {
	duplicateThreshold: 0.9,
	relevanceFloor: 0.25,
	neighbourCount: 50,
	modelNeighbourCount: 10,
	contextCandidateCount: 20,
	maximumPreferences: 50,
};
