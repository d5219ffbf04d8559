import type { Page, PageRequest } from "./page.js";

/**
 * Storage of knowledge: collections, documents, their chunks, and search over chunks (keyword,
 * vector, hybrid). Part of the storage port (`Store.knowledge`), implemented per backend and held
 * to test/contract/knowledge.contract.ts.
 *
 * Scopes. Every chunk lives in exactly one scope, which is also its search partition:
 * `user:<userId>` for a user's private documents (all of that user's private collections), and
 * `shared:<collectionId>` for each shared collection. A search names the scopes it may read; the
 * caller (the document service) decides them from the principal, so an adapter never has to know
 * about users to keep them apart — it must only never return a chunk outside the given scopes.
 */

export interface CollectionRecord {
	id: string;
	name: string;
	/** Null for shared collections (readable by everyone, written by admins). */
	ownerUserId: string | null;
	shared: boolean;
	description: string | null;
	createdAt: number;
}

export interface DocumentRecord {
	id: string;
	collectionId: string;
	/** The user who added it. For shared collections, the admin who uploaded. */
	ownerUserId: string;
	scope: string;
	title: string;
	/** Original file name, when uploaded as a file. */
	sourceName: string | null;
	mediaType: string;
	metadata: Record<string, unknown>;
	contentSha256: string;
	characterCount: number;
	chunkCount: number;
	/** Embedder id of its vectors. */
	embedderId: string;
	createdAt: number;
}

export interface ChunkInput {
	/** 0-based position within the document. */
	ordinal: number;
	text: string;
	/** Heading path the chunk sits under ("Guide › Install"), when the source had headings. */
	heading: string | null;
	tokenCount: number;
}

export interface AddDocumentInput {
	document: DocumentRecord;
	chunks: ChunkInput[];
	/** One per chunk, same order, from the embedder named by document.embedderId. */
	vectors: Float32Array[];
}

/** A stored chunk, as re-indexing reads it back. */
export interface StoredChunk extends ChunkInput {
	chunkId: string;
}

export type SearchMode = "keyword" | "vector" | "hybrid";

export interface ChunkSearchRequest {
	/** Raw user text; adapters sanitise it for their keyword engine. */
	query: string;
	/** Required for vector and hybrid modes; from the same embedder as the stored vectors. */
	queryVector?: Float32Array | undefined;
	embedderId?: string | undefined;
	mode: SearchMode;
	k: number;
	/** Only chunks in these scopes are candidates. Empty → no results. */
	scopes: string[];
	/** Optional further filter: only these collections. */
	collectionIds?: string[] | undefined;
	/**
	 * Vector candidates with a cosine similarity below this are dropped (vector and hybrid modes).
	 * A nearest neighbour always exists, however unrelated; grounding an answer needs an absolute
	 * floor that min-max fused scores cannot give. Keyword matches are unaffected.
	 */
	minimumSimilarity?: number | undefined;
	/** Hybrid only: share of the keyword ranking in the fused score, 0..1 (adapters default to 0.7). */
	keywordWeight?: number | undefined;
}

export interface ChunkHit {
	chunkId: string;
	documentId: string;
	collectionId: string;
	scope: string;
	title: string;
	heading: string | null;
	ordinal: number;
	text: string;
	/** Higher is better; comparable within one result list only. */
	score: number;
	/** A short excerpt around the matched terms. */
	snippet: string;
}

/**
 * Corpus statistics for query-side term weighting (the local embedder's IDF). Counted over every
 * scope, like the keyword engine's own ranking statistics: they shift scores, never which chunks a
 * search may return.
 */
export interface TermStatistics {
	/** Chunks in the keyword index; 0 when there are none. */
	chunkCount: number;
	/** Per word asked, in order: how many chunks contain it, matched as the keyword engine matches words (stemmed). */
	documentFrequencies: number[];
}

export interface KnowledgeRepository {
	/** Creates a collection; StoreConflictError("id") semantics for a duplicate (owner, name). */
	createCollection(collection: CollectionRecord): Promise<CollectionRecord>;
	findCollectionByName(ownerUserId: string | null, name: string): Promise<CollectionRecord | undefined>;
	findCollectionById(id: string): Promise<CollectionRecord | undefined>;
	/** The user's own collections and every shared one. */
	listVisibleCollections(userId: string): Promise<CollectionRecord[]>;
	/** Document row, chunks, keyword index and vectors, all or nothing. */
	addDocument(input: AddDocumentInput): Promise<void>;
	findDocument(id: string): Promise<DocumentRecord | undefined>;
	/** Newest first; only documents in the given scopes (optionally one collection). */
	listDocuments(
		scopes: string[],
		request: PageRequest & { collectionId?: string | undefined },
	): Promise<Page<DocumentRecord>>;
	/** Removes the document with its chunks, keyword entries and vectors at once. False if absent. */
	deleteDocument(id: string): Promise<boolean>;
	search(request: ChunkSearchRequest): Promise<ChunkHit[]>;
	/** Embedder ids that have vectors stored, with chunk counts (for re-indexing decisions). */
	vectorSpaces(): Promise<Array<{ embedderId: string; chunkCount: number }>>;
	/** Document frequencies of lower-case, diacritic-free words (see TermStatistics). */
	termStatistics(words: readonly string[]): Promise<TermStatistics>;

	// ---------- re-indexing into another embedder's vector space ----------

	/** Up to `limit` documents whose vectors are not in `embedderId`'s space, oldest first. */
	documentsInOtherSpaces(embedderId: string, limit: number): Promise<DocumentRecord[]>;
	/** The document's chunks in order, with their text. */
	documentChunks(documentId: string): Promise<StoredChunk[]>;
	/**
	 * Moves a document to another vector space at once: its vectors leave the old space, the new
	 * ones (one per chunk, in order) enter the new, and `embedderId` changes. False if it is gone.
	 */
	replaceDocumentVectors(documentId: string, embedderId: string, vectors: Float32Array[]): Promise<boolean>;
	/** Drops a vector space no document uses any more; false if there is none. Throws if still in use. */
	dropVectorSpace(embedderId: string): Promise<boolean>;
}
