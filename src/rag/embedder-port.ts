/**
 * The embedder port: text → vectors. Adapters: the local lexical embedder (no network, no model
 * weights) and providers through the AI SDK (OpenAI, Gemini, Bedrock, any OpenAI-compatible server).
 *
 * `id` names the vector space: vectors from different ids are never compared. Stored vectors
 * record the id that made them; changing the configured embedder means re-indexing
 * (`npx parley reindex`), never mixing spaces.
 */
export interface Embedder {
	/** e.g. "local-lexical-v1:1024", "openai:text-embedding-3-small". */
	readonly id: string;
	readonly dimensions: number;
	/**
	 * One unit-length vector per text, in order. `purpose` lets asymmetric embedders weight a
	 * query differently from a document (and maps to providers' input types where they have them).
	 */
	embed(texts: readonly string[], purpose: "document" | "query"): Promise<Float32Array[]>;
}
