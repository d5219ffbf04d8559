import type { Principal } from "../auth/principal.js";
import type { ChunkHit, CollectionRecord, DocumentRecord, SearchMode } from "../store/knowledge-port.js";
import type { Page, PageRequest } from "../store/page.js";

/** What the HTTP routes, the CLI and chat need from documents; implemented by document-service.ts. */

export interface IngestInput {
	title: string;
	/** Extracted plain text; headings kept as Markdown-style "#" lines so chunking can follow them. */
	text: string;
	/** Collection name; the caller's private "default" collection when absent. */
	collection?: string | undefined;
	metadata?: Record<string, unknown> | undefined;
	sourceName?: string | null | undefined;
	mediaType: string;
}

export interface RetrieveOptions {
	k: number;
	mode?: SearchMode | undefined;
	/** Restrict to one collection (own or shared) by name. */
	collection?: string | undefined;
	/** Drop vector matches below this cosine similarity (see ChunkSearchRequest). */
	minimumSimilarity?: number | undefined;
}

export interface DocumentService {
	/**
	 * Chunks, embeds and indexes the text, then stores it all at once. Throws AppError:
	 * `document_empty` (422) when there is no usable text, `forbidden` when a non-admin writes to a
	 * shared collection, `not_found` for an unknown shared collection.
	 */
	ingest(principal: Principal, input: IngestInput): Promise<DocumentRecord>;
	list(principal: Principal, request: PageRequest & { collection?: string | undefined }): Promise<Page<DocumentRecord>>;
	/** The caller's own document or one in a shared collection; `not_found` otherwise. */
	get(principal: Principal, id: string): Promise<DocumentRecord>;
	/** Own documents; shared ones only for admins. `not_found` otherwise. */
	delete(principal: Principal, id: string): Promise<void>;
	/** Search over the caller's documents plus shared collections. */
	search(principal: Principal, query: string, options: RetrieveOptions): Promise<ChunkHit[]>;
	collections(principal: Principal): Promise<CollectionRecord[]>;
	/** Admins may create shared collections; anyone may create private ones. */
	createCollection(
		principal: Principal,
		input: { name: string; shared: boolean; description?: string | undefined },
	): Promise<CollectionRecord>;
}
