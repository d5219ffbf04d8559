/** One guide of the demo knowledge base. */
export interface DemoDocument {
	title: string;
	/** Shown as the document's source file name. */
	sourceName: string;
	/** Markdown, headings as "#" lines. */
	text: string;
}

/** The shared collection the demo guides live in. */
export const demoCollectionName = "parley-guide";
