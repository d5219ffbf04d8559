import { newId } from "../../../src/store/ids.js";
import type {
	AddDocumentInput,
	ChunkSearchRequest,
	CollectionRecord,
	DocumentRecord,
	SearchMode,
} from "../../../src/store/knowledge-port.js";
import type { Store } from "../../../src/store/store-port.js";
import { baseTime } from "../store/fixtures.js";

/**
 * Vectors for the knowledge contract: a small deterministic lexical embedding (hashed word
 * counts), so vector search has real neighbours without depending on any embedder of src/.
 */
export const testEmbedderId = "contract-embedder:64";
export const otherEmbedderId = "other-embedder:64";
export const testDimensions = 64;

export function testVector(text: string, dimensions = testDimensions): Float32Array {
	const vector = new Float32Array(dimensions);
	for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
		let hash = 2166136261;
		for (let index = 0; index < word.length; index++) hash = Math.imul(hash ^ word.charCodeAt(index), 16777619);
		const slot = (hash >>> 0) % dimensions;
		vector[slot] = vector[slot]! + (hash & 1 ? 1 : -1);
	}
	const norm = Math.hypot(...vector);
	if (norm === 0) vector[0] = 1;
	else for (let index = 0; index < dimensions; index++) vector[index] = vector[index]! / norm;
	return vector;
}

export function aCollection(overrides: Partial<CollectionRecord> = {}): CollectionRecord {
	return {
		id: newId(),
		name: `collection-${newId()}`,
		ownerUserId: newId(),
		shared: false,
		description: null,
		createdAt: baseTime,
		...overrides,
	};
}

export interface DocumentSpec {
	collection: CollectionRecord;
	ownerUserId?: string;
	title?: string;
	texts: string[];
	createdAt?: number;
	embedderId?: string;
	headings?: Array<string | null>;
}

export function scopeOf(collection: CollectionRecord): string {
	return collection.shared ? `shared:${collection.id}` : `user:${collection.ownerUserId}`;
}

export function aDocument(spec: DocumentSpec): AddDocumentInput {
	const document: DocumentRecord = {
		id: newId(),
		collectionId: spec.collection.id,
		ownerUserId: spec.ownerUserId ?? spec.collection.ownerUserId ?? newId(),
		scope: scopeOf(spec.collection),
		title: spec.title ?? "A document",
		sourceName: "notes.md",
		mediaType: "text/markdown",
		metadata: { source: "contract", tags: ["a", "b"] },
		contentSha256: "0".repeat(64),
		characterCount: spec.texts.join("\n").length,
		chunkCount: spec.texts.length,
		embedderId: spec.embedderId ?? testEmbedderId,
		createdAt: spec.createdAt ?? baseTime,
	};
	return {
		document,
		chunks: spec.texts.map((text, ordinal) => ({
			ordinal,
			text,
			heading: spec.headings?.[ordinal] ?? null,
			tokenCount: Math.ceil(text.length / 4),
		})),
		vectors: spec.texts.map((text) => testVector(`${document.title} ${text}`)),
	};
}

/** Adds the collection (once) and a document in it; returns the document. */
export async function addDocument(store: Store, spec: DocumentSpec): Promise<DocumentRecord> {
	if ((await store.knowledge.findCollectionById(spec.collection.id)) === undefined) {
		await store.knowledge.createCollection(spec.collection);
	}
	const input = aDocument(spec);
	await store.knowledge.addDocument(input);
	return input.document;
}

export function searchRequest(
	query: string,
	mode: SearchMode,
	scopes: string[],
	overrides: Partial<ChunkSearchRequest> = {},
): ChunkSearchRequest {
	return {
		query,
		queryVector: testVector(query),
		embedderId: testEmbedderId,
		mode,
		k: 10,
		scopes,
		...overrides,
	};
}

export const searchModes: readonly SearchMode[] = ["keyword", "vector", "hybrid"];

/** Queries that would be FTS5 syntax, SQL, or odd Unicode if passed through raw. */
export const craftedQueries: readonly string[] = [
	"",
	"   ",
	'"',
	'""""',
	"*",
	"secret*",
	"NEAR(secret zeppelin)",
	"secret AND zeppelin",
	"secret OR zeppelin NOT wing",
	"-secret",
	"^secret",
	"scope : user:other",
	"scope_token : 1234567890",
	"scope_token: secret",
	"collection_token : secret",
	"{scope_token title body} : secret",
	"title:secret",
	"body : zeppelin",
	"(secret",
	"secret)",
	"' OR 1=1 --",
	"'; DROP TABLE knowledge_documents; --",
	"\\x00 secret \u0000",
	"zeppelin 🛩️ 飞艇 秘密 ﷺ",
	"s\u0301ecret\u200b zeppelin\u200d",
	"ＳＥＣＲＥＴ　ＺＥＰＰＥＬＩＮ",
	"what is the secret zeppelin?",
	`${"secret ".repeat(2000)}zeppelin`,
	"a".repeat(5000),
];
