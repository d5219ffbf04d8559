import { createHash } from "node:crypto";
import { hasRole, type Principal } from "../auth/principal.js";
import { AppError, notFound } from "../errors.js";
import { newId } from "../store/ids.js";
import type { ChunkHit, CollectionRecord, DocumentRecord, KnowledgeRepository } from "../store/knowledge-port.js";
import { StoreConflictError } from "../store/store-port.js";
import { chunkEmbeddingText } from "./chunk-embedding-text.js";
import { type ChunkingSettings, chunkText } from "./chunker.js";
import type { DocumentService } from "./document-service-types.js";
import type { Embedder } from "./embedder-port.js";

/**
 * Documents and retrieval for principals. Scopes: a user's private collections all live in the
 * scope `user:<userId>`; each shared collection is its own scope `shared:<collectionId>`. A
 * principal reads its own scope plus every shared scope, writes its own, and writes shared ones
 * only with the `admin` role. The store never sees a principal: it gets the scopes decided here.
 */

export interface DocumentServiceDependencies {
	knowledge: KnowledgeRepository;
	embedder: Embedder;
	chunking: ChunkingSettings;
	/** Hybrid search: share of the keyword ranking (SEARCH_FUSION_KEYWORD_WEIGHT). */
	keywordWeight?: number | undefined;
	now?: () => number;
}

export const defaultCollectionName = "default";
export const maximumSearchResults = 200;
const maximumCollectionNameLength = 100;
const maximumDescriptionLength = 1000;
/** Longer queries are cut before embedding: providers cap input tokens, and a page of text is not a better query. */
const maximumQueryCharacters = 8000;
const adminRole = "admin";

export const userScope = (userId: string): string => `user:${userId}`;
export const sharedScope = (collectionId: string): string => `shared:${collectionId}`;

export function scopeOfCollection(collection: CollectionRecord): string {
	return collection.shared ? sharedScope(collection.id) : userScope(collection.ownerUserId!);
}

export function createDocumentService(dependencies: DocumentServiceDependencies): DocumentService {
	const { knowledge, embedder, chunking } = dependencies;
	const now = dependencies.now ?? Date.now;
	const isAdmin = (principal: Principal) => hasRole(principal, adminRole);

	async function ensureDefaultCollection(userId: string): Promise<CollectionRecord> {
		const existing = await knowledge.findCollectionByName(userId, defaultCollectionName);
		if (existing !== undefined) return existing;
		try {
			return await knowledge.createCollection({
				id: newId(),
				name: defaultCollectionName,
				ownerUserId: userId,
				shared: false,
				description: "Your private documents",
				createdAt: now(),
			});
		} catch (error) {
			// Two first uploads at once: the other one created it.
			if (!(error instanceof StoreConflictError)) throw error;
			const created = await knowledge.findCollectionByName(userId, defaultCollectionName);
			if (created === undefined) throw error;
			return created;
		}
	}

	/**
	 * The caller's own collection of that name, else the shared one; `not_found` otherwise. The
	 * name "default" always means the caller's private default collection (made on first use).
	 */
	async function resolveCollection(principal: Principal, name: string): Promise<CollectionRecord> {
		if (name === defaultCollectionName) return ensureDefaultCollection(principal.userId);
		const own = await knowledge.findCollectionByName(principal.userId, name);
		if (own !== undefined) return own;
		const shared = await knowledge.findCollectionByName(null, name);
		if (shared !== undefined) return shared;
		throw new AppError("not_found", { detail: `collection "${name}" not found` });
	}

	// The shared scopes are the same for every user and change only when an admin creates a shared
	// collection: remembered for a few seconds instead of listed on every search (other processes
	// see a new shared collection within sharedScopesTtlMs).
	let sharedScopes: { scopes: string[]; at: number } | undefined;
	const sharedScopesTtlMs = 5_000;

	async function readableScopes(principal: Principal): Promise<string[]> {
		const at = now();
		if (sharedScopes === undefined || at - sharedScopes.at > sharedScopesTtlMs) {
			const collections = await knowledge.listVisibleCollections(principal.userId);
			const scopes = collections
				.filter((collection) => collection.shared)
				.map((collection) => sharedScope(collection.id));
			sharedScopes = { scopes, at };
		}
		return [userScope(principal.userId), ...sharedScopes.scopes];
	}

	function mayRead(principal: Principal, document: DocumentRecord): boolean {
		return document.scope === userScope(principal.userId) || document.scope.startsWith("shared:");
	}

	function mayChange(principal: Principal, document: DocumentRecord): boolean {
		if (document.scope === userScope(principal.userId)) return true;
		return document.scope.startsWith("shared:") && isAdmin(principal);
	}

	const service: DocumentService = {
		async ingest(principal, input) {
			const name = input.collection ?? defaultCollectionName;
			// Naming a collection that does not exist yet creates it, privately; shared ones are made by admins.
			const collection = await resolveCollection(principal, name).catch((error: unknown) => {
				if (error instanceof AppError && error.code === "not_found") {
					return service.createCollection(principal, { name, shared: false });
				}
				throw error;
			});
			if (collection.shared && !isAdmin(principal)) {
				throw new AppError("forbidden", {
					detail: `only admins may add documents to the shared collection "${collection.name}"`,
				});
			}
			const chunks = chunkText(input.text, chunking);
			if (chunks.length === 0) {
				throw new AppError("document_empty", { detail: "the document has no text to index" });
			}
			const title = input.title.trim() || input.sourceName?.trim() || "Untitled";
			const vectors = await embedder.embed(
				chunks.map((chunk) => chunkEmbeddingText(title, chunk.heading, chunk.text)),
				"document",
			);
			const document: DocumentRecord = {
				id: newId(),
				collectionId: collection.id,
				ownerUserId: principal.userId,
				scope: scopeOfCollection(collection),
				title,
				sourceName: input.sourceName ?? null,
				mediaType: input.mediaType,
				metadata: input.metadata ?? {},
				contentSha256: createHash("sha256").update(input.text, "utf8").digest("hex"),
				characterCount: input.text.length,
				chunkCount: chunks.length,
				embedderId: embedder.id,
				createdAt: now(),
			};
			await knowledge.addDocument({ document, chunks, vectors });
			return document;
		},

		async list(principal, request) {
			if (request.collection === undefined) {
				return knowledge.listDocuments(await readableScopes(principal), {
					limit: request.limit,
					cursor: request.cursor,
				});
			}
			const collection = await resolveCollection(principal, request.collection);
			return knowledge.listDocuments([scopeOfCollection(collection)], {
				limit: request.limit,
				cursor: request.cursor,
				collectionId: collection.id,
			});
		},

		async get(principal, id) {
			const document = await knowledge.findDocument(id);
			if (document === undefined || !mayRead(principal, document)) throw notFound("document");
			return document;
		},

		async delete(principal, id) {
			const document = await knowledge.findDocument(id);
			if (document === undefined || !mayChange(principal, document)) throw notFound("document");
			await knowledge.deleteDocument(id);
		},

		async search(principal, query, options): Promise<ChunkHit[]> {
			if (!Number.isInteger(options.k) || options.k < 1 || options.k > maximumSearchResults) {
				throw new AppError("validation_failed", { detail: `k must be an integer from 1 to ${maximumSearchResults}` });
			}
			const text = query.trim().slice(0, maximumQueryCharacters);
			if (text === "") return [];
			const mode = options.mode ?? "hybrid";
			let scopes: string[];
			let collectionIds: string[] | undefined;
			if (options.collection === undefined) {
				scopes = await readableScopes(principal);
			} else {
				const collection = await resolveCollection(principal, options.collection);
				scopes = [scopeOfCollection(collection)];
				collectionIds = [collection.id];
			}
			const queryVector = mode === "keyword" ? undefined : (await embedder.embed([text], "query"))[0];
			return knowledge.search({
				query: text,
				queryVector,
				embedderId: embedder.id,
				mode,
				k: options.k,
				scopes,
				collectionIds,
				keywordWeight: dependencies.keywordWeight,
				minimumSimilarity: options.minimumSimilarity,
			});
		},

		async collections(principal) {
			await ensureDefaultCollection(principal.userId);
			return knowledge.listVisibleCollections(principal.userId);
		},

		async createCollection(principal, input) {
			const name = input.name.trim();
			if (name === "" || name.length > maximumCollectionNameLength) {
				throw new AppError("validation_failed", {
					detail: `a collection name has 1 to ${maximumCollectionNameLength} characters`,
				});
			}
			const description = input.description?.trim() || null;
			if (description !== null && description.length > maximumDescriptionLength) {
				throw new AppError("validation_failed", {
					detail: `a collection description has at most ${maximumDescriptionLength} characters`,
				});
			}
			if (input.shared && !isAdmin(principal)) {
				throw new AppError("forbidden", { detail: "only admins may create shared collections" });
			}
			if (input.shared && name === defaultCollectionName) {
				throw new AppError("validation_failed", {
					detail: `"${defaultCollectionName}" names each user's private collection; choose another name`,
				});
			}
			const ownerUserId = input.shared ? null : principal.userId;
			// Creating is idempotent by name: asking again for an existing collection returns it.
			const existing = await knowledge.findCollectionByName(ownerUserId, name);
			if (existing !== undefined) return existing;
			try {
				const created = await knowledge.createCollection({
					id: newId(),
					name,
					ownerUserId,
					shared: input.shared,
					description,
					createdAt: now(),
				});
				// This process searches the new shared collection at once.
				if (input.shared) sharedScopes = undefined;
				return created;
			} catch (error) {
				const raced =
					error instanceof StoreConflictError ? await knowledge.findCollectionByName(ownerUserId, name) : undefined;
				if (raced === undefined) throw error;
				return raced;
			}
		},
	};
	return service;
}
