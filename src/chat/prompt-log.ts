import { createHash } from "node:crypto";
import type { Principal } from "../auth/principal.js";
import { AppError } from "../errors.js";
import { estimateTokens } from "../llm/token-estimate.js";
import type { DocumentService } from "../rag/document-service-types.js";
import type { Embedder } from "../rag/embedder-port.js";
import type { KnowledgeRepository } from "../store/knowledge-port.js";
import type { InteractionRecord, Store } from "../store/store-port.js";

/**
 * The prompts a user sent to POST /v1/prompts, searchable by similarity (the Prompt Service seed's
 * FAISS index). Each prompt is indexed like a one-chunk document in the user's own `prompts:<id>`
 * scope — keyword, vector and hybrid search come from the knowledge index, and the scope keeps
 * prompts out of document searches and other users' reach.
 */

export interface SimilarPrompt {
	interaction: InteractionRecord;
	score: number;
}

const promptScope = (userId: string) => `prompts:${userId}`;
const maximumSimilar = 50;

export type PromptLog = ReturnType<typeof createPromptLog>;

export function createPromptLog(options: {
	store: Store;
	documents: Pick<DocumentService, "collections">;
	embedder: Embedder;
	keywordWeight?: number | undefined;
	now?: () => number;
}) {
	const knowledge: KnowledgeRepository = options.store.knowledge;
	const { embedder } = options;
	const now = options.now ?? Date.now;

	/** Every indexed document needs a collection: the user's private default one. */
	async function defaultCollectionId(principal: Principal): Promise<string> {
		const collections = await options.documents.collections(principal);
		const own = collections.find((collection) => collection.ownerUserId === principal.userId && !collection.shared);
		if (!own) throw new Error("the user has no private collection");
		return own.id;
	}

	return {
		/** Makes the prompt of a stored interaction findable by `similar`. */
		async add(principal: Principal, interaction: Pick<InteractionRecord, "id" | "prompt" | "endpoint">): Promise<void> {
			const text = interaction.prompt;
			const [vector] = await embedder.embed([text], "document");
			await knowledge.addDocument({
				document: {
					id: interaction.id,
					collectionId: await defaultCollectionId(principal),
					ownerUserId: principal.userId,
					scope: promptScope(principal.userId),
					title: "",
					sourceName: null,
					mediaType: "text/plain",
					metadata: { endpoint: interaction.endpoint },
					contentSha256: createHash("sha256").update(text, "utf8").digest("hex"),
					characterCount: text.length,
					chunkCount: 1,
					embedderId: embedder.id,
					createdAt: now(),
				},
				chunks: [{ ordinal: 0, text, heading: null, tokenCount: estimateTokens(text) }],
				vectors: [vector as Float32Array],
			});
		},

		/** The caller's logged prompts most similar to `query` (hybrid), best first. */
		async similar(principal: Principal, query: string, k: number): Promise<SimilarPrompt[]> {
			if (!Number.isInteger(k) || k < 1 || k > maximumSimilar) {
				throw new AppError("validation_failed", { detail: `k must be an integer from 1 to ${maximumSimilar}` });
			}
			const text = query.trim();
			if (text === "") return [];
			const [queryVector] = await embedder.embed([text], "query");
			const hits = await knowledge.search({
				query: text,
				queryVector,
				embedderId: embedder.id,
				mode: "hybrid",
				k,
				scopes: [promptScope(principal.userId)],
				keywordWeight: options.keywordWeight,
			});
			const found: SimilarPrompt[] = [];
			for (const hit of hits) {
				const interaction = await options.store.interactions.findById(principal.userId, hit.documentId);
				if (interaction) found.push({ interaction, score: hit.score });
			}
			return found;
		},
	};
}
