import { porterStem } from "../../text/porter-stemmer.js";
import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import { indexKeywords, lexemeOf } from "../keyword-text.js";
import type { AddDocumentInput, CollectionRecord, DocumentRecord, KnowledgeRepository } from "../knowledge-port.js";
import { StoreConflictError } from "../store-port.js";
import { vectorToBytes } from "../vector-bytes.js";
import { type ItemOperations, timeOrderedKey } from "./dynamodb-items.js";
import {
	type ChunkItem,
	type CollectionItem,
	chunkPrefix,
	collectionKey,
	collectionNameKey,
	collectionsIndex,
	corpusKey,
	type DocumentItem,
	documentKey,
	documentsIndex,
	scopePartition,
	spaceDocumentsIndex,
	spaceKey,
	spacesPartition,
	termKey,
} from "./dynamodb-knowledge-keys.js";
import { createDynamoKnowledgeSearch } from "./dynamodb-knowledge-search.js";

/** Counter updates run this many at a time: one UpdateItem per distinct term of a document. */
const counterConcurrency = 16;

/**
 * Knowledge on DynamoDB without transactions. Adding a document writes its chunks, then the
 * counters, then the document item — the commit point: searches skip chunks whose document item
 * does not exist, so a half-finished upload is invisible. Deleting goes the other way: the
 * document item first (gone for searches at once), then chunks and counters. A crash in between
 * leaves unreachable chunks and counters a little off (they only tune BM25 weights).
 */
export function createDynamoKnowledgeRepository(items: ItemOperations): KnowledgeRepository {
	const search = createDynamoKnowledgeSearch(items);

	const readDocument = async (id: string) => (await items.get<DocumentItem>(documentKey(id)))?.data;
	const chunksOf = (document: DocumentRecord) =>
		items.query<ChunkItem>({
			partition: scopePartition(document.scope),
			sort: { beginsWith: chunkPrefix(document.id) },
		});

	async function addToCounters(chunks: readonly ChunkItem[], sign: 1 | -1) {
		const terms = new Map<string, number>();
		let tokens = 0;
		for (const chunk of chunks) {
			tokens += chunk.keywordLength;
			for (const lexeme of Object.keys(chunk.frequencies)) terms.set(lexeme, (terms.get(lexeme) ?? 0) + 1);
		}
		const updates = [...terms].map(
			([lexeme, count]) =>
				() =>
					items.update(termKey(lexeme), "ADD chunks :count", { values: { ":count": sign * count } }),
		);
		updates.push(() =>
			items.update(corpusKey, "ADD rowCount :rows, tokenCount :tokens", {
				values: { ":rows": sign * chunks.length, ":tokens": sign * tokens },
			}),
		);
		await runLimited(updates, counterConcurrency);
	}

	async function addToSpace(embedderId: string, chunkCount: number, dimensions?: number) {
		await items.update(
			spaceKey(embedderId),
			dimensions === undefined ? "ADD chunkCount :count" : "ADD chunkCount :count SET dimensions = :dimensions",
			{ values: { ":count": chunkCount, ...(dimensions === undefined ? {} : { ":dimensions": dimensions }) } },
		);
	}

	/** A vector space has one dimension count, fixed by its first vectors: checked before anything is written. */
	async function checkDimensions(embedderId: string, vectors: readonly Float32Array[]) {
		const dimensions = vectors[0]?.length;
		if (dimensions === undefined) return;
		if (vectors.some((vector) => vector.length !== dimensions)) {
			throw new Error("addDocument: vectors of one document must have the same dimensions");
		}
		const space = await items.get<{ dimensions?: number }>(spaceKey(embedderId));
		if (space?.dimensions !== undefined && space.dimensions !== dimensions) {
			throw new Error(`vector space ${embedderId} has ${space.dimensions} dimensions, got ${dimensions}`);
		}
	}

	return {
		async createCollection(collection) {
			const claimed = await items.put(
				{ ...collectionNameKey(collection.ownerUserId, collection.name), id: collection.id },
				{ expression: "attribute_not_exists(pk)" },
			);
			if (!claimed) throw new StoreConflictError("id");
			const written = await items.put(
				{
					...collectionKey(collection.id),
					data: collection,
					gsi1pk: collectionsIndex(collection.shared ? null : collection.ownerUserId),
					gsi1sk: `${collection.name}#${collection.id}`,
				},
				{ expression: "attribute_not_exists(pk)" },
			);
			if (!written) {
				await items.remove(collectionNameKey(collection.ownerUserId, collection.name));
				throw new StoreConflictError("id");
			}
			return { ...collection };
		},

		async findCollectionByName(ownerUserId, name) {
			const claim = await items.get<{ id: string }>(collectionNameKey(ownerUserId, name));
			if (claim === undefined) return undefined;
			return (await items.get<CollectionItem>(collectionKey(claim.id)))?.data;
		},

		async findCollectionById(id) {
			return (await items.get<CollectionItem>(collectionKey(id)))?.data;
		},

		async listVisibleCollections(userId) {
			const [own, shared] = await Promise.all([
				items.query<CollectionItem>({ index: "gsi1", partition: collectionsIndex(userId) }),
				items.query<CollectionItem>({ index: "gsi1", partition: collectionsIndex(null) }),
			]);
			const byNameThenId = (left: CollectionRecord, right: CollectionRecord) =>
				Buffer.compare(Buffer.from(left.name), Buffer.from(right.name)) || (left.id < right.id ? -1 : 1);
			return [
				...own.map((item) => item.data).sort(byNameThenId),
				...shared.map((item) => item.data).sort(byNameThenId),
			];
		},

		async addDocument({ document, chunks, vectors }: AddDocumentInput) {
			if (vectors.length !== chunks.length) {
				throw new Error(`addDocument: ${chunks.length} chunks but ${vectors.length} vectors`);
			}
			await checkDimensions(document.embedderId, vectors);
			if ((await readDocument(document.id)) !== undefined) throw new StoreConflictError("id");
			const chunkItems: ChunkItem[] = chunks.map((chunk, index) => {
				const keywords = indexKeywords(
					chunk.heading === null ? document.title : `${document.title}\n${chunk.heading}`,
					chunk.text,
				);
				const vector = vectors[index]!;
				return {
					pk: scopePartition(document.scope),
					sk: `${chunkPrefix(document.id)}${String(chunk.ordinal).padStart(6, "0")}`,
					...chunk,
					documentId: document.id,
					collectionId: document.collectionId,
					scope: document.scope,
					title: document.title,
					frequencies: keywords.frequencies,
					keywordLength: keywords.length,
					embedderId: document.embedderId,
					...(vector.length > 0 ? { vector: vectorToBytes(vector) } : {}),
				};
			});
			await items.putMany(chunkItems as unknown as Array<Record<string, unknown>>);
			await addToCounters(chunkItems, 1);
			if (chunkItems.length > 0) await addToSpace(document.embedderId, chunkItems.length, vectors[0]?.length);
			const written = await items.put(
				{
					...documentKey(document.id),
					data: document,
					gsi1pk: documentsIndex(document.scope),
					gsi1sk: timeOrderedKey(document.createdAt, document.id),
					gsi2pk: spaceDocumentsIndex(document.embedderId),
					gsi2sk: timeOrderedKey(document.createdAt, document.id),
				},
				{ expression: "attribute_not_exists(pk)" },
			);
			if (!written) {
				// Another upload took the id between the check and now: undo this one's writes.
				await addToCounters(chunkItems, -1);
				if (chunkItems.length > 0) await addToSpace(document.embedderId, -chunkItems.length);
				throw new StoreConflictError("id");
			}
		},

		findDocument: readDocument,

		async listDocuments(scopes, request) {
			checkPageLimit(request.limit);
			if (scopes.length === 0) return { items: [], nextCursor: null };
			const position = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
			const perScope = await Promise.all(
				[...new Set(scopes)].map((scope) =>
					items.query<DocumentItem>({
						index: "gsi1",
						partition: documentsIndex(scope),
						newestFirst: true,
						...(position === undefined ? {} : { sort: { below: timeOrderedKey(position.timestamp, position.id) } }),
						limit: request.limit + 1,
						...(request.collectionId === undefined
							? {}
							: { filter: (item: DocumentItem) => item.data.collectionId === request.collectionId }),
					}),
				),
			);
			const merged = perScope
				.flat()
				.map((item) => item.data)
				.sort((left, right) => right.createdAt - left.createdAt || (left.id < right.id ? 1 : -1));
			return toPage(merged.slice(0, request.limit + 1), request.limit, (document) => ({
				timestamp: document.createdAt,
				id: document.id,
			}));
		},

		async deleteDocument(id) {
			const removed = await items.remove<DocumentItem>(documentKey(id), { expression: "attribute_exists(pk)" });
			if (removed === undefined) return false;
			const document = removed.data;
			const chunks = await chunksOf(document);
			await items.removeMany(chunks.map(({ pk, sk }) => ({ pk, sk })));
			await addToCounters(chunks, -1);
			if (chunks.length > 0) await addToSpace(document.embedderId, -chunks.length);
			return true;
		},

		search: (request) => search.search(request),

		async vectorSpaces() {
			const spaces = await items.query<{ sk: string; chunkCount: number }>({ partition: spacesPartition });
			return spaces.map((space) => ({ embedderId: space.sk, chunkCount: space.chunkCount }));
		},

		async termStatistics(words) {
			const stems = words.map((word) => lexemeOf(porterStem(word)));
			const [corpus, ...frequencies] = await Promise.all([
				items.get<{ rowCount?: number }>(corpusKey),
				...stems.map(async (stem) => (await items.get<{ chunks?: number }>(termKey(stem)))?.chunks ?? 0),
			]);
			return {
				chunkCount: (corpus as { rowCount?: number } | undefined)?.rowCount ?? 0,
				documentFrequencies: frequencies as number[],
			};
		},

		async documentsInOtherSpaces(embedderId, limit) {
			const spaces = await items.query<{ sk: string }>({ partition: spacesPartition });
			const others = await Promise.all(
				spaces
					.filter((space) => space.sk !== embedderId)
					.map((space) =>
						items.query<DocumentItem>({ index: "gsi2", partition: spaceDocumentsIndex(space.sk), limit }),
					),
			);
			return others
				.flat()
				.map((item) => item.data)
				.filter((document) => document.embedderId !== embedderId)
				.sort((left, right) => left.createdAt - right.createdAt || (left.id < right.id ? -1 : 1))
				.slice(0, limit);
		},

		async documentChunks(documentId) {
			const document = await readDocument(documentId);
			if (document === undefined) return [];
			return (await chunksOf(document)).map((chunk) => ({
				chunkId: `${chunk.documentId}:${chunk.ordinal}`,
				ordinal: chunk.ordinal,
				text: chunk.text,
				heading: chunk.heading,
				tokenCount: chunk.tokenCount,
			}));
		},

		async replaceDocumentVectors(documentId, embedderId, vectors) {
			const document = await readDocument(documentId);
			if (document === undefined) return false;
			const chunks = await chunksOf(document);
			if (chunks.length !== vectors.length) {
				throw new Error(`document ${documentId} has ${chunks.length} chunks, got ${vectors.length} vectors`);
			}
			await checkDimensions(embedderId, vectors);
			await items.putMany(
				chunks.map((chunk, index) => {
					const { vector: _old, ...rest } = chunk;
					const vector = vectors[index]!;
					return { ...rest, embedderId, ...(vector.length > 0 ? { vector: vectorToBytes(vector) } : {}) };
				}),
			);
			const moved = await items.update(documentKey(documentId), "SET #data.embedderId = :embedder, gsi2pk = :space", {
				names: { "#data": "data" },
				values: { ":embedder": embedderId, ":space": spaceDocumentsIndex(embedderId) },
				condition: "attribute_exists(pk)",
			});
			if (moved === undefined) return false;
			if (chunks.length > 0 && document.embedderId !== embedderId) {
				await addToSpace(document.embedderId, -chunks.length);
				await addToSpace(embedderId, chunks.length, vectors[0]?.length);
			}
			return true;
		},

		async dropVectorSpace(embedderId) {
			const space = await items.get(spaceKey(embedderId));
			if (space === undefined) return false;
			const inUse = await items.query({ index: "gsi2", partition: spaceDocumentsIndex(embedderId), limit: 1 });
			if (inUse.length > 0) throw new Error(`vector space ${embedderId} is still used by documents`);
			await items.remove(spaceKey(embedderId));
			return true;
		},
	};
}

async function runLimited(tasks: ReadonlyArray<() => Promise<unknown>>, concurrency: number): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < tasks.length) {
			const task = tasks[next]!;
			next += 1;
			await task();
		}
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}
