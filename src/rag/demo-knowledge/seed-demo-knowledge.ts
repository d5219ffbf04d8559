import type { Principal } from "../../auth/principal.js";
import { newId } from "../../store/ids.js";
import type { KnowledgeRepository } from "../../store/knowledge-port.js";
import { StoreConflictError } from "../../store/store-port.js";
import type { DocumentService } from "../document-service-types.js";
import { type DemoDocument, demoCollectionName } from "./demo-document.js";
import { englishDemoDocuments } from "./demo-documents-en.js";
import { portugueseDemoDocuments } from "./demo-documents-pt.js";

export const demoDocuments: readonly DemoDocument[] = [...englishDemoDocuments, ...portugueseDemoDocuments];

export type SeedOutcome = "seeded" | "present";

/**
 * Adds the shared "parley-guide" collection with its guides, once per installation, so that a
 * fresh install answers "How does RAG work?" (or "Como funciona RAG?") from real passages.
 *
 * Only the process whose insert creates the collection adds the guides. The collection is
 * created through the repository rather than the document service because the service's
 * creation is idempotent (it returns an existing collection), which would let two processes
 * starting together both believe they made it and add every guide twice; the store's unique
 * (owner, name) index lets exactly one insert win. A collection that exists — even one an
 * operator emptied on purpose — is never seeded again.
 */
export async function seedDemoKnowledge(options: {
	documents: DocumentService;
	knowledge: Pick<KnowledgeRepository, "findCollectionByName" | "createCollection">;
	/** An admin principal acting for the installation (see operatorPrincipal); asked for only when seeding. */
	operator: () => Promise<Principal>;
	now?: () => number;
}): Promise<SeedOutcome> {
	const { documents, knowledge } = options;
	if ((await knowledge.findCollectionByName(null, demoCollectionName)) !== undefined) return "present";
	try {
		await knowledge.createCollection({
			id: newId(),
			name: demoCollectionName,
			ownerUserId: null,
			shared: true,
			description: "Guides to Parley: what it is, RAG (English and Portuguese), citations, memory, providers",
			createdAt: (options.now ?? Date.now)(),
		});
	} catch (error) {
		if (error instanceof StoreConflictError) return "present";
		throw error;
	}
	const operator = await options.operator();
	for (const document of demoDocuments) {
		await documents.ingest(operator, {
			title: document.title,
			text: document.text,
			collection: demoCollectionName,
			sourceName: document.sourceName,
			mediaType: "text/markdown",
			metadata: { demo: true },
		});
	}
	return "seeded";
}
