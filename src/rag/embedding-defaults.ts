/**
 * Embedder choices and the defaults config.ts resolves them with. Data only (no imports), so the
 * configuration can depend on it without pulling in the retrieval code.
 */

export const embedderNames = ["local", "openai", "gemini", "bedrock", "openai-compatible"] as const;
export type EmbedderName = (typeof embedderNames)[number];

export const defaultEmbeddingModel: Readonly<Record<Exclude<EmbedderName, "local">, string>> = {
	openai: "text-embedding-3-small",
	gemini: "gemini-embedding-001",
	bedrock: "amazon.titan-embed-text-v2:0",
	"openai-compatible": "nomic-embed-text",
};

/** Vector sizes of well-known models, so EMBEDDING_DIMENSIONS is only needed for others. */
export const knownEmbeddingDimensions: Readonly<Record<string, number>> = {
	"text-embedding-3-small": 1536,
	"text-embedding-3-large": 3072,
	"text-embedding-ada-002": 1536,
	"gemini-embedding-001": 3072,
	"text-embedding-004": 768,
	"amazon.titan-embed-text-v2:0": 1024,
	"amazon.titan-embed-text-v1": 1536,
	"cohere.embed-english-v3": 1024,
	"cohere.embed-multilingual-v3": 1024,
	"nomic-embed-text": 768,
	"mxbai-embed-large": 1024,
	"all-minilm": 384,
	"bge-m3": 1024,
};

/** Models that can return shorter vectors on request (Matryoshka-trained). */
export const modelsWithAdjustableDimensions: ReadonlySet<string> = new Set([
	"text-embedding-3-small",
	"text-embedding-3-large",
	"gemini-embedding-001",
	"amazon.titan-embed-text-v2:0",
]);
