import type { Principal } from "../auth/principal.js";
import { estimateTokens } from "../llm/token-estimate.js";
import { formatContextPassages } from "../rag/context-format.js";
import type { RetrieveOptions } from "../rag/document-service-types.js";
import type { ChunkHit } from "../store/knowledge-port.js";

/** What chat needs from documents: search over the caller's documents plus shared collections. */
export interface ChatKnowledge {
	search(principal: Principal, query: string, options: RetrieveOptions): Promise<ChunkHit[]>;
}

/** What chat needs from user memory. */
export interface ChatMemory {
	/** A system-prompt section about the user, within the token budget; empty text when nothing applies. */
	contextFor(
		principal: Principal,
		prompt: string,
		options: { maxTokens: number; memoryEnabled?: boolean | undefined },
	): Promise<{ text: string }>;
	/** Learns from a user message in the background; never throws, never delays the caller. */
	observe(
		principal: Principal,
		input: { message: string; interactionId: string; model: { provider: string; model: string } },
	): void;
}

export interface Citation {
	/** The [n] marker used in the prompt and the answer. */
	number: number;
	documentId: string;
	title: string;
	chunkId: string;
	score: number;
	snippet: string;
}

/** A citation as every API shows it (chat, generate, history, chat/completions). */
export const citationToWire = (citation: Citation) => ({
	number: citation.number,
	document_id: citation.documentId,
	title: citation.title,
	chunk_id: citation.chunkId,
	score: citation.score,
	snippet: citation.snippet,
});

export interface GroundingOptions {
	/** Retrieve passages (default true on chat and generate, opt-in on chat/completions). */
	rag: boolean;
	k: number;
	collection?: string | undefined;
	/** The user's memory switch, when the caller has just read it (saves a lookup). */
	memoryEnabled?: boolean | undefined;
}

export interface Grounding {
	/** Memory section and numbered passages, to append to the system prompt; "" when none. */
	systemAddition: string;
	citations: Citation[];
	/** Passage texts, in citation order (the `context` of /v1/generate). */
	passages: string[];
	/**
	 * Set when the grounding holds nothing of the user's own (no memories, only passages of shared
	 * collections): the scopes it came from. An answer then depends on shared data alone.
	 */
	sharedScopes?: string[] | undefined;
}

const memoryTokenBudget = 300;
const emptyGrounding: Grounding = { systemAddition: "", citations: [], passages: [] };

/**
 * Gathers what grounds one answer: the user's relevant memories and the passages retrieved for
 * the prompt. Either part failing leaves the answer ungrounded rather than failing it.
 */
export function createGrounding(options: {
	knowledge?: ChatKnowledge | undefined;
	memory?: ChatMemory | undefined;
	/** Passages whose only tie to the prompt is a weaker vector similarity are not used (RAG_MIN_SIMILARITY). */
	minimumSimilarity?: number | undefined;
	onError?: (error: unknown, part: "knowledge" | "memory") => void;
}) {
	const { knowledge, memory } = options;
	const report = options.onError ?? (() => undefined);

	return {
		async ground(principal: Principal, prompt: string, settings: GroundingOptions): Promise<Grounding> {
			const [memoryText, hits] = await Promise.all([
				memory
					? memory
							.contextFor(principal, prompt, { maxTokens: memoryTokenBudget, memoryEnabled: settings.memoryEnabled })
							.then((context) => context.text)
							.catch((error: unknown) => {
								report(error, "memory");
								return "";
							})
					: Promise.resolve(""),
				knowledge && settings.rag && settings.k > 0
					? knowledge
							.search(principal, prompt, {
								k: settings.k,
								mode: "hybrid",
								collection: settings.collection,
								minimumSimilarity: options.minimumSimilarity,
							})
							.catch((error: unknown) => {
								// An unknown collection is the caller's mistake and must say so.
								if ((error as { code?: string }).code === "not_found") throw error;
								report(error, "knowledge");
								return [] as ChunkHit[];
							})
					: Promise.resolve([] as ChunkHit[]),
			]);
			if (memoryText === "" && hits.length === 0) return emptyGrounding;
			const citations = hits.map((hit, index) => ({
				number: index + 1,
				documentId: hit.documentId,
				title: hit.title,
				chunkId: hit.chunkId,
				score: hit.score,
				snippet: hit.snippet,
			}));
			const parts: string[] = [];
			if (memoryText !== "") parts.push(memoryText);
			if (hits.length > 0) {
				parts.push(
					formatContextPassages(
						hits.map((hit, index) => ({ number: index + 1, title: hit.title, heading: hit.heading, text: hit.text })),
					),
				);
			}
			const sharedOnly = memoryText === "" && hits.every((hit) => hit.scope.startsWith("shared:"));
			return {
				systemAddition: parts.join("\n\n"),
				citations,
				passages: hits.map((hit) => hit.text),
				sharedScopes: sharedOnly ? [...new Set(hits.map((hit) => hit.scope))].sort() : undefined,
			};
		},
	};
}

export type GroundingService = ReturnType<typeof createGrounding>;

export const groundingTokens = (grounding: Grounding): number =>
	grounding.systemAddition === "" ? 0 : estimateTokens(grounding.systemAddition);
