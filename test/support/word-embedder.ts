import { createHash } from "node:crypto";
import type { Embedder } from "../../src/rag/embedder-port.js";

/**
 * A tiny deterministic embedder for tests: a hashed bag of words (lower case, accents folded),
 * unit length. Texts that share words score high, texts that share none score 0, so tests can
 * reason about similarity exactly. `calls` records what was embedded.
 */
export function createWordEmbedder(options: { dimensions?: number; failing?: boolean } = {}) {
	const dimensions = options.dimensions ?? 256;
	const calls: Array<{ texts: string[]; purpose: "document" | "query" }> = [];
	const embedder: Embedder & { calls: typeof calls } = {
		id: `test-words:${dimensions}`,
		dimensions,
		calls,
		async embed(texts, purpose) {
			calls.push({ texts: [...texts], purpose });
			if (options.failing) throw new Error("embedder unavailable");
			return texts.map((text) => {
				const vector = new Float32Array(dimensions);
				const words = text
					.normalize("NFD")
					.replace(/\p{M}+/gu, "")
					.toLowerCase()
					.split(/[^\p{L}\p{N}]+/u)
					.filter((word) => word.length > 0);
				for (const word of words) {
					const bucket = createHash("sha256").update(word).digest().readUInt32BE(0) % dimensions;
					vector[bucket]! += 1;
				}
				const length = Math.hypot(...vector);
				if (length > 0) for (let index = 0; index < dimensions; index += 1) vector[index]! /= length;
				return vector;
			});
		},
	};
	return embedder;
}
