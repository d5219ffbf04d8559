import type { ChunkHit, CollectionRecord, DocumentRecord } from "../store/knowledge-port.js";
import { iso } from "./schemas/common.js";

/** Documents, passages and collections as the API shows them: snake_case, ISO dates, no storage internals. */

export const collectionRepresentation = (collection: CollectionRecord) => ({
	id: collection.id,
	name: collection.name,
	shared: collection.shared,
	description: collection.description,
	created_at: iso(collection.createdAt),
});

/** `collections` names each document's collection; it holds every collection the caller can see. */
export const documentRepresentation = (
	document: DocumentRecord,
	collections: ReadonlyMap<string, CollectionRecord>,
) => {
	const collection = collections.get(document.collectionId);
	return {
		id: document.id,
		title: document.title,
		collection: collection?.name ?? "",
		collection_id: document.collectionId,
		shared: collection?.shared ?? document.scope.startsWith("shared:"),
		chunk_count: document.chunkCount,
		characters: document.characterCount,
		media_type: document.mediaType,
		source_name: document.sourceName,
		metadata: document.metadata,
		created_at: iso(document.createdAt),
	};
};

export const searchHitRepresentation = (hit: ChunkHit) => ({
	document_id: hit.documentId,
	title: hit.title,
	collection_id: hit.collectionId,
	chunk_id: hit.chunkId,
	heading: hit.heading,
	score: hit.score,
	snippet: hit.snippet,
	text: hit.text,
});
