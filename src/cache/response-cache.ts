import { createHash } from "node:crypto";
import type { FinishReason, TokenUsage } from "../llm/model-port.js";
import type { Metrics } from "../observability/metrics.js";
import type { Embedder } from "../rag/embedder-port.js";
import type { KeyValueCache } from "./key-value-cache-port.js";

/**
 * Cached answers (seed Desafio Toro: "cache for similar questions"). Exact: the same model,
 * parameters, full message list (grounding included) and scope get the stored answer. Semantic:
 * with everything but the last user message identical — so the same retrieved context, history
 * and system prompt — a question whose embedding is within the threshold of a cached one gets its
 * answer. The scope is the user, or the shared collections the answer came from alone; never
 * another user's.
 */

export interface CacheableRequest {
	/** `user:<id>`, or `shared:<scopes>` when the answer can depend on shared collections only. */
	scope: string;
	model: string;
	/** Everything the answer depends on besides the last user message: parameters, earlier messages. */
	context: unknown;
	/** The last user message. */
	prompt: string;
	semantic: boolean;
}

export interface CachedAnswer {
	text: string;
	finishReason: FinishReason;
	/** What the answer cost when it was made (a hit costs nothing). */
	usage: TokenUsage | null;
	/** Public id of the model that answered. */
	model: string;
	/** The upstream's own response body, for pass-through replies. */
	body?: string | undefined;
}

export interface CacheHit {
	answer: CachedAnswer;
	kind: "exact" | "semantic";
	/** Cosine similarity of the questions, for semantic hits. */
	similarity?: number;
}

interface SemanticEntry {
	vector: string;
	answer: CachedAnswer;
}

export interface ResponseCache {
	lookup(request: CacheableRequest): Promise<CacheHit | undefined>;
	/** Never throws: a cache that cannot be written is a cache that misses. */
	remember(request: CacheableRequest, answer: CachedAnswer): Promise<void>;
}

/** Questions kept per semantic bucket (same scope, model and context); oldest dropped first. */
const semanticEntriesPerBucket = 64;

const hash = (value: unknown): string => createHash("sha256").update(JSON.stringify(value)).digest("base64url");

function cosine(left: Float32Array, right: Float32Array): number {
	let dot = 0;
	let leftNorm = 0;
	let rightNorm = 0;
	for (let index = 0; index < left.length; index++) {
		const a = left[index] as number;
		const b = right[index] as number;
		dot += a * b;
		leftNorm += a * a;
		rightNorm += b * b;
	}
	return leftNorm === 0 || rightNorm === 0 ? 0 : dot / Math.sqrt(leftNorm * rightNorm);
}

const encodeVector = (vector: Float32Array): string =>
	Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64");

function decodeVector(text: string): Float32Array {
	const bytes = Buffer.from(text, "base64");
	return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function createResponseCache(options: {
	store: KeyValueCache;
	ttlMs: number;
	/** Cosine similarity at or above which two questions count as the same. */
	semanticThreshold: number;
	embedder: Embedder;
	metrics: Pick<Metrics, "responseCacheLookups">;
	onError?: (error: unknown) => void;
}): ResponseCache {
	const { store, embedder, metrics } = options;
	const report = options.onError ?? (() => undefined);
	const exactKey = (request: CacheableRequest) =>
		`exact:${hash([request.scope, request.model, request.context, request.prompt])}`;
	const bucketKey = (request: CacheableRequest) =>
		`semantic:${embedder.id}:${hash([request.scope, request.model, request.context])}`;

	async function read(key: string): Promise<string | undefined> {
		try {
			return await store.get(key);
		} catch (error) {
			report(error);
			return undefined;
		}
	}

	async function semanticLookup(request: CacheableRequest): Promise<CacheHit | undefined> {
		const bucket = await read(bucketKey(request));
		if (bucket === undefined) return undefined;
		const entries = JSON.parse(bucket) as SemanticEntry[];
		const [question] = await embedder.embed([request.prompt], "query");
		if (question === undefined) return undefined;
		let best: CacheHit | undefined;
		for (const entry of entries) {
			const similarity = cosine(question, decodeVector(entry.vector));
			if (similarity >= options.semanticThreshold && similarity > (best?.similarity ?? -1)) {
				best = { answer: entry.answer, kind: "semantic", similarity };
			}
		}
		return best;
	}

	return {
		async lookup(request) {
			const exact = await read(exactKey(request));
			if (exact !== undefined) {
				metrics.responseCacheLookups.inc({ kind: "exact", outcome: "hit" });
				return { answer: JSON.parse(exact) as CachedAnswer, kind: "exact" };
			}
			metrics.responseCacheLookups.inc({ kind: "exact", outcome: "miss" });
			if (!request.semantic) return undefined;
			const similar = await semanticLookup(request).catch((error: unknown) => {
				report(error);
				return undefined;
			});
			metrics.responseCacheLookups.inc({ kind: "semantic", outcome: similar === undefined ? "miss" : "hit" });
			return similar;
		},

		async remember(request, answer) {
			try {
				await store.set(exactKey(request), JSON.stringify(answer), options.ttlMs);
				if (!request.semantic) return;
				const key = bucketKey(request);
				const [vector] = await embedder.embed([request.prompt], "query");
				if (vector === undefined) return;
				const existing = await read(key);
				const entries = existing === undefined ? [] : (JSON.parse(existing) as SemanticEntry[]);
				entries.push({ vector: encodeVector(vector), answer: { ...answer, body: undefined } });
				await store.set(key, JSON.stringify(entries.slice(-semanticEntriesPerBucket)), options.ttlMs);
			} catch (error) {
				report(error);
			}
		},
	};
}
