import type { KnowledgeRepository } from "../store/knowledge-port.js";
import { chunkEmbeddingText } from "./chunk-embedding-text.js";
import type { Embedder } from "./embedder-port.js";

/**
 * Moves every document into the configured embedder's vector space, then drops the spaces left
 * empty. Document by document: each move (new vectors in, old vectors out, embedder id switched)
 * commits at once, so an interrupted run leaves every document searchable in one space and a
 * second run carries on where it stopped. Until a document has moved, vector and hybrid searches
 * with the new embedder miss it (keyword search still finds it).
 */

export interface ReindexProgress {
	documentsMoved: number;
	chunksEmbedded: number;
}

export interface ReindexResult extends ReindexProgress {
	droppedSpaces: string[];
}

export interface ReindexOptions {
	knowledge: KnowledgeRepository;
	embedder: Embedder;
	/** Documents read per round. */
	batchSize?: number;
	onProgress?: (progress: ReindexProgress) => void;
}

export async function reindexKnowledge(options: ReindexOptions): Promise<ReindexResult> {
	const { knowledge, embedder } = options;
	const batchSize = options.batchSize ?? 32;
	const progress: ReindexProgress = { documentsMoved: 0, chunksEmbedded: 0 };
	const skipped = new Set<string>();
	for (;;) {
		const documents = (await knowledge.documentsInOtherSpaces(embedder.id, batchSize + skipped.size)).filter(
			(document) => !skipped.has(document.id),
		);
		if (documents.length === 0) break;
		for (const document of documents) {
			const chunks = await knowledge.documentChunks(document.id);
			const vectors = await embedder.embed(
				chunks.map((chunk) => chunkEmbeddingText(document.title, chunk.heading, chunk.text)),
				"document",
			);
			// False when the document was deleted meanwhile; never offer it again either way.
			if (await knowledge.replaceDocumentVectors(document.id, embedder.id, vectors)) {
				progress.documentsMoved += 1;
				progress.chunksEmbedded += chunks.length;
			} else {
				skipped.add(document.id);
			}
			options.onProgress?.({ ...progress });
		}
	}
	const droppedSpaces: string[] = [];
	for (const space of await knowledge.vectorSpaces()) {
		if (space.embedderId !== embedder.id && (await knowledge.dropVectorSpace(space.embedderId))) {
			droppedSpaces.push(space.embedderId);
		}
	}
	return { ...progress, droppedSpaces };
}
