/**
 * What is embedded for a chunk: the document title and heading path, then the text. A chunk from
 * the middle of a document rarely names its subject; the title and headings do (Cranfield: the
 * vector ranking with the title prepended scores higher, see scripts/eval-rag.ts). Ingestion and
 * re-indexing must agree on this, so it lives in one place.
 */
export function chunkEmbeddingText(title: string, heading: string | null, text: string): string {
	return heading === null ? `${title}\n${text}` : `${title}\n${heading}\n${text}`;
}
