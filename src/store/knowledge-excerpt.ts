/** Excerpts of chunks for search hits, shared by every storage backend. */

const leadingExcerptCharacters = 240;

/** The start of the chunk, cut at a word boundary, for hits that matched no keyword. */
export function leadingExcerpt(text: string): string {
	const flattened = text.replace(/\s+/g, " ").trim();
	if (flattened.length <= leadingExcerptCharacters) return flattened;
	const cut = flattened.slice(0, leadingExcerptCharacters);
	const lastSpace = cut.lastIndexOf(" ");
	return `${lastSpace > leadingExcerptCharacters / 2 ? cut.slice(0, lastSpace) : cut}…`;
}
