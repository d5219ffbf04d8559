import { z } from "zod";
import { supportedExtensions } from "../../rag/extraction/media-types.js";
import { timestamp } from "./common.js";

/** Letters, digits, spaces, ".", "_" and "-", starting with a letter or digit: safe in URLs and logs. */
export const collectionName = z
	.string()
	.trim()
	.min(1)
	.max(64)
	.regex(
		/^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u,
		"letters, digits, spaces, '.', '_' or '-', starting with a letter or digit",
	)
	.describe('Collection name; your private "default" collection when absent');

const maximumMetadataCharacters = 16_384;
const metadataObject = z
	.record(z.string().max(200), z.unknown())
	.refine((value) => JSON.stringify(value).length <= maximumMetadataCharacters, {
		message: `must be at most ${maximumMetadataCharacters} characters as JSON`,
	})
	.describe("Your own key/value pairs, returned with the document");

const documentTitle = z.string().trim().min(1).max(200);

export const documentJsonBody = z
	.strictObject({
		title: documentTitle,
		text: z.string().describe('The document\'s text; Markdown "#" headings guide how it is split for search'),
		collection: collectionName.optional(),
		metadata: metadataObject.optional(),
	})
	.meta({
		examples: [
			{
				title: "Return policy",
				text: "# Returns\n\nItems can be returned within 30 days with the receipt.\n\n## Refunds\n\nRefunds take 5 business days.",
			},
			{
				title: "Onboarding checklist",
				text: "Create your account, then set up two-factor authentication.",
				collection: "handbook",
				metadata: { department: "people", version: 3 },
			},
		],
	});

export interface UploadedFile {
	fileName: string;
	mediaType: string;
	bytes: Uint8Array;
}

const isUploadedFile = (value: unknown): value is UploadedFile =>
	typeof value === "object" && value !== null && (value as UploadedFile).bytes instanceof Uint8Array;

const metadataField = z
	.union([z.string(), z.record(z.string(), z.unknown())])
	.transform((value, context) => {
		if (typeof value !== "string") return value;
		try {
			return JSON.parse(value) as unknown;
		} catch {
			context.addIssue({ code: "custom", message: "must be a JSON object" });
			return z.NEVER;
		}
	})
	.pipe(metadataObject)
	.describe('A JSON object as text, e.g. {"department": "legal"}');

export const documentFormBody = z
	.strictObject({
		file: z.custom<UploadedFile>(isUploadedFile, "send the document as a file in the 'file' field").meta({
			type: "string",
			format: "binary",
			description: `The document: ${supportedExtensions.join(", ")}. Its type comes from the part's Content-Type, else the file name, else the content`,
		}),
		title: documentTitle
			.optional()
			.describe("Defaults to the document's own title (first heading, <title>, PDF metadata) or the file name"),
		collection: collectionName.optional(),
		metadata: metadataField.optional(),
	})
	.meta({ examples: [{ file: "(binary)", title: "Employee handbook", collection: "handbook" }] });

export const documentSchema = z.object({
	id: z.string(),
	title: z.string(),
	collection: z.string().describe("Collection name"),
	collection_id: z.string(),
	shared: z.boolean().describe("Whether the document is in a shared collection (readable by every user)"),
	chunk_count: z.number().int().describe("Passages the document was split into for search"),
	characters: z.number().int().describe("Length of the extracted text"),
	media_type: z.string().describe("The format it was read as"),
	source_name: z.string().nullable().describe("Original file name, for uploads"),
	metadata: z.record(z.string(), z.unknown()),
	created_at: timestamp,
});

export const documentListQuery = z.strictObject({
	limit: z.coerce.number().int().min(1).max(100).default(20).describe("Items per page, 1–100"),
	cursor: z.string().min(1).max(500).optional().describe("`next_cursor` of the previous page"),
	collection: collectionName.optional().describe("Only documents of this collection (yours or a shared one)"),
});

export const searchQuery = z.strictObject({
	q: z.string().trim().min(1).max(1000).describe("What to look for, in your own words"),
	k: z.coerce.number().int().min(1).max(50).default(5).describe("How many passages, 1–50"),
	mode: z
		.enum(["keyword", "vector", "hybrid"])
		.default("hybrid")
		.describe("keyword (full-text), vector (embedding similarity) or hybrid (both, fused)"),
	collection: collectionName.optional().describe("Only this collection (yours or a shared one)"),
});

export const searchHitSchema = z.object({
	document_id: z.string(),
	title: z.string().describe("Title of the document"),
	collection_id: z.string(),
	chunk_id: z.string(),
	heading: z.string().nullable().describe('Heading path the passage sits under ("Guide › Install")'),
	score: z.number().describe("Higher is better; comparable within one response only"),
	snippet: z.string().describe("A short excerpt around the matched terms"),
	text: z.string().describe("The whole passage"),
});

export const collectionSchema = z.object({
	id: z.string(),
	name: z.string(),
	shared: z.boolean().describe("Shared collections are readable by every user and written by admins"),
	description: z.string().nullable(),
	created_at: timestamp,
});

export const collectionCreateBody = z
	.strictObject({
		name: collectionName,
		shared: z.boolean().default(false).describe("Readable by every user; only admins may create one"),
		description: z.string().trim().max(500).optional(),
	})
	.meta({
		examples: [
			{ name: "handbook", description: "Company policies" },
			{ name: "product-docs", shared: true, description: "Public product documentation for every user" },
		],
	});
