import multipart from "@fastify/multipart";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Principal } from "../../auth/principal.js";
import type { Notifier } from "../../notify/notifier-port.js";
import type { DocumentService, IngestInput } from "../../rag/document-service-types.js";
import { extractDocument, extractProvidedText } from "../../rag/extraction/extract-document.js";
import { supportedExtensions } from "../../rag/extraction/media-types.js";
import type { CollectionRecord } from "../../store/knowledge-port.js";
import { principalOf } from "../authentication.js";
import {
	collectionRepresentation,
	documentRepresentation,
	searchHitRepresentation,
} from "../document-representations.js";
import { documentTooLarge, formOverheadBytes, readDocumentForm } from "../document-upload.js";
import { idParameters, noContent, problemResponses } from "../schemas/common.js";
import {
	collectionCreateBody,
	collectionSchema,
	documentFormBody,
	documentJsonBody,
	documentListQuery,
	documentSchema,
	searchHitSchema,
	searchQuery,
} from "../schemas/document-schemas.js";

export interface DocumentRouteDependencies {
	documents: DocumentService;
	/** DOCUMENT_MAX_BYTES: the largest document accepted, as a file or as JSON text. */
	maxDocumentBytes: number;
	/** Announces `document-indexed` on the uploader's live channel. */
	notifier?: Notifier | undefined;
}

type JsonBody = z.output<typeof documentJsonBody>;
type FormBody = z.output<typeof documentFormBody>;

const uploadDescription = `Two ways to send a document:

- **JSON** \`{title, text, collection?, metadata?}\` — text you already have (Markdown headings are kept).
- **multipart/form-data** with a \`file\` field and optional \`title\`, \`collection\` and \`metadata\` (a JSON object
  as text) fields. Readable formats: ${supportedExtensions.join(", ")}; the type comes from the part's Content-Type,
  else the file name, else the content.

The text is split into passages, embedded and indexed for \`GET /v1/search\` all at once: a document that fails
is not stored at all. Errors: 413 \`payload_too_large\` past \`DOCUMENT_MAX_BYTES\`, 415 \`unsupported_media_type\`
for other formats, 422 \`document_empty\` when no text remains, 422 \`document_unreadable\` for content that is not
what its type says (binary sent as text, a damaged PDF, JSON or CSV that does not parse), 403 \`forbidden\` when a
non-admin writes to a shared collection.`;

export function documentRoutes(dependencies: DocumentRouteDependencies): FastifyPluginAsyncZod {
	const { documents, maxDocumentBytes, notifier } = dependencies;

	/** Every collection the caller can see, by id: documents and hits name theirs from it. */
	const visibleCollections = async (principal: Principal) =>
		new Map<string, CollectionRecord>(
			(await documents.collections(principal)).map((collection) => [collection.id, collection]),
		);

	const fromJson = async (body: JsonBody): Promise<IngestInput> => {
		if (Buffer.byteLength(body.text, "utf8") > maxDocumentBytes) throw documentTooLarge(maxDocumentBytes);
		const extracted = await extractProvidedText(body.text);
		return {
			title: body.title,
			text: extracted.text,
			collection: body.collection,
			metadata: body.metadata,
			sourceName: null,
			mediaType: extracted.mediaType,
		};
	};

	const fromForm = async (body: FormBody): Promise<IngestInput> => {
		const { file } = body;
		const extracted = await extractDocument({ bytes: file.bytes, mediaType: file.mediaType, fileName: file.fileName });
		return {
			title: body.title ?? extracted.title,
			text: extracted.text,
			collection: body.collection,
			metadata: body.metadata,
			sourceName: file.fileName === "" ? null : file.fileName,
			mediaType: extracted.mediaType,
		};
	};

	return async (app) => {
		// Multipart parsing is registered for the upload route alone, so every other route keeps
		// refusing multipart bodies with 415.
		await app.register(async (upload) => {
			await upload.register(multipart, { throwFileSizeLimit: true });
			// Only JSON and multipart bodies: without this, Fastify's built-in text/plain parser would
			// hand the route a bare string instead of answering 415.
			upload.removeContentTypeParser("text/plain");
			upload.post(
				"/v1/documents",
				{
					// JSON escaping can double the size of the text; the text itself is checked exactly.
					bodyLimit: maxDocumentBytes * 2 + formOverheadBytes,
					config: { idempotent: true },
					schema: {
						tags: ["documents"],
						summary: "Add a document (JSON text or an uploaded file) to your knowledge base",
						description: uploadDescription,
						body: {
							content: {
								"application/json": { schema: documentJsonBody },
								"multipart/form-data": { schema: documentFormBody },
							},
						},
						response: { 201: documentSchema, ...problemResponses(400, 401, 403, 404, 413, 415, 422) },
					},
					preValidation: async (request) => {
						if (request.isMultipart()) request.body = await readDocumentForm(request, maxDocumentBytes);
					},
				},
				async (request, reply) => {
					const principal = principalOf(request);
					const input = request.isMultipart()
						? await fromForm(request.body as FormBody)
						: await fromJson(request.body as JsonBody);
					const record = await documents.ingest(principal, input);
					const representation = documentRepresentation(record, await visibleCollections(principal));
					// The document is stored and searchable either way; a live channel that is down changes nothing.
					await notifier
						?.publish(principal.userId, "document-indexed", { document: representation })
						.catch((error: unknown) => request.log.warn({ err: error }, "document-indexed not sent"));
					return reply.code(201).send(representation);
				},
			);
		});

		app.get(
			"/v1/documents",
			{
				schema: {
					tags: ["documents"],
					summary: "Your documents and those of shared collections, newest first",
					querystring: documentListQuery,
					response: {
						200: z.object({ data: z.array(documentSchema), next_cursor: z.string().nullable() }),
						...problemResponses(400, 401, 404),
					},
				},
			},
			async (request) => {
				const principal = principalOf(request);
				const { limit, cursor, collection } = request.query;
				const [page, collections] = await Promise.all([
					documents.list(principal, { limit, cursor, collection }),
					visibleCollections(principal),
				]);
				return {
					data: page.items.map((document) => documentRepresentation(document, collections)),
					next_cursor: page.nextCursor,
				};
			},
		);

		app.get(
			"/v1/documents/:id",
			{
				schema: {
					tags: ["documents"],
					summary: "One document: title, collection, passage count, size, metadata",
					params: idParameters,
					response: { 200: documentSchema, ...problemResponses(401, 404) },
				},
			},
			async (request) => {
				const principal = principalOf(request);
				const [document, collections] = await Promise.all([
					documents.get(principal, request.params.id),
					visibleCollections(principal),
				]);
				return documentRepresentation(document, collections);
			},
		);

		app.delete(
			"/v1/documents/:id",
			{
				schema: {
					tags: ["documents"],
					summary: "Delete a document; its passages leave search at once",
					description: "Your own documents; documents of shared collections only for admins.",
					params: idParameters,
					response: { 204: noContent, ...problemResponses(401, 404) },
				},
			},
			async (request, reply) => {
				await documents.delete(principalOf(request), request.params.id);
				return reply.code(204).send(null);
			},
		);

		app.get(
			"/v1/search",
			{
				schema: {
					tags: ["documents"],
					summary: "Search passages of your documents and of shared collections",
					description:
						"Returns the best `k` passages with their document, heading path, a snippet and the whole passage. " +
						"Example: `GET /v1/search?q=Como%20funciona%20RAG%3F&k=3`.",
					querystring: searchQuery,
					response: { 200: z.object({ data: z.array(searchHitSchema) }), ...problemResponses(400, 401, 404) },
				},
			},
			async (request) => {
				const { q, k, mode, collection } = request.query;
				const hits = await documents.search(principalOf(request), q, { k, mode, collection });
				return { data: hits.map(searchHitRepresentation) };
			},
		);

		app.get(
			"/v1/collections",
			{
				config: { idempotent: true },
				schema: {
					tags: ["documents"],
					summary: "Your collections and every shared one",
					response: { 200: z.object({ data: z.array(collectionSchema) }), ...problemResponses(401) },
				},
			},
			async (request) => ({
				data: (await documents.collections(principalOf(request))).map(collectionRepresentation),
			}),
		);

		app.post(
			"/v1/collections",
			{
				schema: {
					tags: ["documents"],
					summary: "Create a collection (201), or get the existing one of that name (200)",
					description:
						"Private collections are yours alone. A shared collection (`shared: true`) is readable by every user " +
						"and written by admins only; others get 403 `forbidden`.",
					body: collectionCreateBody,
					response: { 200: collectionSchema, 201: collectionSchema, ...problemResponses(400, 401, 403) },
				},
			},
			async (request, reply) => {
				const principal = principalOf(request);
				const { name, shared, description } = request.body;
				const existed = (await documents.collections(principal)).some(
					(collection) => collection.name === name && collection.shared === shared,
				);
				const collection = await documents.createCollection(principal, { name, shared, description });
				return reply.code(existed ? 200 : 201).send(collectionRepresentation(collection));
			},
		);
	};
}
