import { estimateTokens } from "../llm/token-estimate.js";
import type { Embedder } from "../rag/embedder-port.js";
import type { MemoryRecord } from "../store/memory-port.js";
import type { Store } from "../store/store-port.js";
import type { MemoryLogger } from "./memory-observer.js";
import type { MemoryTuning } from "./memory-tuning.js";

/**
 * What a prompt gets to know about its author: every preference (how they want to be answered
 * matters whatever they ask) and the facts relevant to this prompt, as a short section of the
 * system prompt, within a token budget.
 */

export interface MemoryContext {
	/** The system-prompt section; "" when there is nothing to say. */
	text: string;
	/** The memories it mentions, in the order it mentions them. */
	memories: MemoryRecord[];
}

export const emptyMemoryContext: MemoryContext = Object.freeze({ text: "", memories: [] }) as MemoryContext;

const heading = "What you know about the user:";
/** Prompts are embedded for similarity only; their start says what they are about. */
const maximumPromptLength = 4000;

export interface MemoryContextDependencies {
	store: Store;
	embedder: Embedder;
	logger: MemoryLogger;
	tuning: MemoryTuning;
}

export function createMemoryContextBuilder(dependencies: MemoryContextDependencies) {
	const { store, embedder, logger, tuning } = dependencies;

	async function relevantFacts(userId: string, prompt: string): Promise<MemoryRecord[]> {
		if (prompt.trim().length === 0) return [];
		try {
			const [vector] = await embedder.embed([prompt.slice(0, maximumPromptLength)], "query");
			const nearest = await store.memories.nearest(userId, vector!, embedder.id, tuning.contextCandidateCount);
			return nearest
				.filter(({ memory, score }) => memory.kind === "fact" && score >= tuning.relevanceFloor)
				.map(({ memory }) => memory);
		} catch (error) {
			// Without the embedder, the preferences still apply.
			logger.warn({ err: error, user_id: userId }, "memory search failed; using preferences only");
			return [];
		}
	}

	/** Lines in order until the budget is spent; the heading counts against it too. */
	function compose(memories: readonly MemoryRecord[], maxTokens: number): MemoryContext {
		const included: MemoryRecord[] = [];
		let used = estimateTokens(heading);
		for (const memory of memories) {
			const cost = estimateTokens(`\n- ${memory.text}`);
			if (used + cost > maxTokens) continue;
			used += cost;
			included.push(memory);
		}
		if (included.length === 0) return emptyMemoryContext;
		const text = `${heading}\n${included.map((memory) => `- ${memory.text}`).join("\n")}`;
		return { text, memories: included };
	}

	return {
		/**
		 * Never throws: memory must not stand between a user and an answer, so a failure is logged
		 * and the prompt goes without.
		 */
		async contextFor(
			userId: string,
			prompt: string,
			options: { maxTokens: number; memoryEnabled?: boolean | undefined },
		): Promise<MemoryContext> {
			if (!(options.maxTokens > 0) || options.memoryEnabled === false) return emptyMemoryContext;
			try {
				// A caller that just read the user says whether memory is on; otherwise look it up.
				const enabled = options.memoryEnabled ?? (await store.users.findById(userId))?.memoryEnabled === true;
				if (!enabled) return emptyMemoryContext;
				// Most turns are from users with nothing remembered: one indexed row check instead of
				// embedding the prompt and two queries (measured: a quarter of a chat request's cost).
				if (!(await store.memories.hasAny(userId))) return emptyMemoryContext;
				const [preferences, facts] = await Promise.all([
					store.memories.listByKind(userId, "preference", tuning.maximumPreferences),
					relevantFacts(userId, prompt),
				]);
				return compose([...preferences, ...facts], options.maxTokens);
			} catch (error) {
				logger.warn({ err: error, user_id: userId }, "memory context failed");
				return emptyMemoryContext;
			}
		},
	};
}
