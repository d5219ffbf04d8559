import type { ChunkInput, CollectionRecord, DocumentRecord } from "../knowledge-port.js";

/**
 * Where knowledge lives in the table:
 * - `COLLECTION#<id>` / `RECORD`, its name claimed by `COLLECTIONNAME#<owner>#<name>` / `NAME`
 *   (owner empty for shared ones), listed in gsi1 under `COLLECTIONS#<ownerUserId>` or
 *   `COLLECTIONS#SHARED`;
 * - `DOC#<id>` / `RECORD`, listed per scope in gsi1 (`DOCS#<scope>`, by time) and per vector
 *   space in gsi2 (`DOCSPACE#<embedderId>`, by time) for re-indexing;
 * - chunks in their scope's partition, `SCOPE#<scope>` / `CHUNK#<documentId>#<ordinal>`, with
 *   text, BM25 term frequencies and the vector — a search reads the partitions of the scopes it
 *   may see, never anything else;
 * - counters for keyword statistics over every scope (`TERM#<lexeme>` / `COUNT`,
 *   `KNOWLEDGE#STATS` / `CORPUS`) and for vector spaces (`KNOWLEDGE#SPACE` / `<embedderId>`).
 */

export const collectionKey = (id: string) => ({ pk: `COLLECTION#${id}`, sk: "RECORD" });
export const collectionNameKey = (ownerUserId: string | null, name: string) => ({
	pk: `COLLECTIONNAME#${ownerUserId ?? ""}#${name}`,
	sk: "NAME",
});
export const collectionsIndex = (ownerUserId: string | null) =>
	ownerUserId === null ? "COLLECTIONS#SHARED" : `COLLECTIONS#${ownerUserId}`;
export const documentKey = (id: string) => ({ pk: `DOC#${id}`, sk: "RECORD" });
export const documentsIndex = (scope: string) => `DOCS#${scope}`;
export const spaceDocumentsIndex = (embedderId: string) => `DOCSPACE#${embedderId}`;
export const scopePartition = (scope: string) => `SCOPE#${scope}`;
export const chunkPrefix = (documentId: string) => `CHUNK#${documentId}#`;
export const chunkKey = (scope: string, documentId: string, ordinal: number) => ({
	pk: scopePartition(scope),
	sk: `${chunkPrefix(documentId)}${String(ordinal).padStart(6, "0")}`,
});
export const termKey = (lexeme: string) => ({ pk: `TERM#${lexeme}`, sk: "COUNT" });
export const corpusKey = { pk: "KNOWLEDGE#STATS", sk: "CORPUS" };
export const spacesPartition = "KNOWLEDGE#SPACE";
export const spaceKey = (embedderId: string) => ({ pk: spacesPartition, sk: embedderId });

export interface CollectionItem {
	data: CollectionRecord;
}

export interface DocumentItem {
	data: DocumentRecord;
}

/** A chunk as stored: what search needs without reading its document. */
export interface ChunkItem extends ChunkInput {
	pk: string;
	sk: string;
	documentId: string;
	collectionId: string;
	scope: string;
	title: string;
	/** BM25 term frequencies, title words counted `titleWeight` times. */
	frequencies: Record<string, number>;
	/** Length in tokens as FTS5 counts it. */
	keywordLength: number;
	embedderId: string;
	/** Float32 bytes; absent when the document was added without vectors. */
	vector?: Uint8Array;
}
