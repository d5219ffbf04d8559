import type { Config } from "../config.js";
import type { KnowledgeRepository } from "../store/knowledge-port.js";
import type { Embedder } from "./embedder-port.js";
import { modelsWithAdjustableDimensions } from "./embedding-defaults.js";
import { createLocalEmbedder } from "./local-embedder.js";
import { createProviderEmbedder } from "./provider-embedders.js";

export interface CreateEmbedderDependencies {
	/** Document frequencies for the local embedder's query-side IDF (the store's knowledge repository). */
	termStatistics?: Pick<KnowledgeRepository, "termStatistics"> | undefined;
}

/** The embedder the configuration names (EMBEDDER, EMBEDDING_MODEL, EMBEDDING_DIMENSIONS, provider keys). */
export function createEmbedder(config: Config, dependencies: CreateEmbedderDependencies = {}): Embedder {
	const { embedder } = config.retrieval;
	if (embedder.dimensions === undefined) {
		// loadConfig already reports this; reaching it means a hand-built Config.
		throw new Error(`EMBEDDING_DIMENSIONS is required for ${embedder.model}`);
	}
	if (embedder.provider === "local") {
		return createLocalEmbedder({ dimensions: embedder.dimensions, termStatistics: dependencies.termStatistics });
	}
	const llm = config.llm;
	const credentials = {
		openai: { apiKey: llm.openai?.apiKey, baseUrl: llm.openai?.baseUrl },
		gemini: { apiKey: llm.gemini?.apiKey, baseUrl: undefined },
		bedrock: { apiKey: undefined, baseUrl: undefined, region: llm.bedrock?.region },
		"openai-compatible": { apiKey: llm.openaiCompatible?.apiKey, baseUrl: llm.openaiCompatible?.baseUrl },
	}[embedder.provider];
	return createProviderEmbedder({
		provider: embedder.provider,
		model: embedder.model,
		dimensions: embedder.dimensions,
		requestDimensions:
			embedder.requestDimensions &&
			(embedder.provider === "openai-compatible" || modelsWithAdjustableDimensions.has(embedder.model)),
		...credentials,
		timeoutMs: llm.timeoutMs,
		maxRetries: llm.maxRetries,
		retryBaseDelayMs: llm.retryBaseDelayMs,
		retryMaxDelayMs: llm.retryMaxDelayMs,
	});
}
