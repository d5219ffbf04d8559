import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createEmbedder } from "../../src/rag/create-embedder.js";
import { demoCollectionName } from "../../src/rag/demo-knowledge/demo-document.js";
import { demoDocuments, seedDemoKnowledge } from "../../src/rag/demo-knowledge/seed-demo-knowledge.js";
import { createDocumentService } from "../../src/rag/document-service.js";
import { operatorPrincipal } from "../../src/rag/operator-principal.js";
import { createStore } from "../../src/store/create-store.js";
import { createUserService } from "../../src/users/user-service.js";

// Real: an in-memory SQLite store, the document service and the local embedder.
describe("seedDemoKnowledge", () => {
	it("adds the guides once when two seeds race, and never again", async () => {
		const config = loadConfig({}, { DATA_DIR: "/tmp/parley-unused", NODE_ENV: "test" });
		const store = await createStore("sqlite::memory:");
		try {
			await store.migrate();
			const documents = createDocumentService({
				knowledge: store.knowledge,
				embedder: createEmbedder(config, { termStatistics: store.knowledge }),
				chunking: { chunkTokens: config.retrieval.chunkTokens, overlapTokens: config.retrieval.chunkOverlapTokens },
			});
			const users = createUserService({ store, adminEmails: [] });
			const operator = async () => operatorPrincipal(await users.serviceAccount(), { admin: true });
			const seed = () => seedDemoKnowledge({ documents, knowledge: store.knowledge, operator });

			const outcomes = await Promise.all([seed(), seed(), seed()]);
			expect(outcomes.sort()).toEqual(["present", "present", "seeded"]);
			expect(await seed()).toBe("present");

			const reader = operatorPrincipal(await users.findOrCreateDevUser({ email: "reader@example.com" }), {
				admin: false,
			});
			const page = await documents.list(reader, { limit: 100, collection: demoCollectionName });
			expect(page.items.map((document) => document.title).sort()).toEqual(
				demoDocuments.map((document) => document.title).sort(),
			);
			const hits = await documents.search(reader, "Como funciona RAG?", { k: 1 });
			expect(hits[0]?.title).toBe("Como funciona RAG no Parley?");
		} finally {
			await store.close();
		}
	});
});
