import type { Config } from "../config.js";
import { createEmbedder } from "../rag/create-embedder.js";
import { type ReindexResult, reindexKnowledge } from "../rag/reindex.js";
import { createStore } from "../store/create-store.js";

/**
 * Re-embeds every document with the configured embedder (EMBEDDER, EMBEDDING_MODEL,
 * EMBEDDING_DIMENSIONS) and drops the vector spaces left unused. Safe to interrupt and run again.
 */
export async function reindexCommand(
	config: Config,
	onProgress: (documentsMoved: number, chunksEmbedded: number) => void = () => {},
): Promise<ReindexResult & { embedderId: string }> {
	const store = await createStore(config.databaseUrl, { pool: config.databasePool });
	try {
		const embedder = createEmbedder(config, { termStatistics: store.knowledge });
		const result = await reindexKnowledge({
			knowledge: store.knowledge,
			embedder,
			onProgress: (progress) => onProgress(progress.documentsMoved, progress.chunksEmbedded),
		});
		return { ...result, embedderId: embedder.id };
	} finally {
		await store.close();
	}
}
