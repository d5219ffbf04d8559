import { z } from "zod";
import { maximumMemoryTextLength } from "../../memory/memory-service.js";
import { timestamp } from "./common.js";

export const memoryKind = z
	.enum(["fact", "preference"])
	.describe('"fact": something about you; "preference": how you like things, answers included (always used)');

const memoryText = z
	.string()
	.trim()
	.min(1, "must not be empty")
	.max(maximumMemoryTextLength)
	.describe("One fact or preference, in your words or Parley's (“Lives in Lisbon”, “Prefers short answers”)");

const exampleMemory = {
	id: "0193a5c4-7b1e-7c2d-9f10-3e4d5a6b7c8d",
	text: "Lives in Lisbon",
	kind: "fact",
	source: "chat",
	source_interaction_id: "0193a5c4-7a00-7c2d-9f10-3e4d5a6b7c8d",
	created_at: "2026-01-05T10:12:00.000Z",
	updated_at: "2026-01-05T10:12:00.000Z",
} as const;

export const memorySchema = z
	.object({
		id: z.string(),
		text: z.string(),
		kind: memoryKind,
		source: z
			.enum(["chat", "manual"])
			.describe('"chat": learnt from one of your messages; "manual": added through this API'),
		source_interaction_id: z
			.string()
			.nullable()
			.describe("The interaction (see GET /v1/history) whose message it was learnt from"),
		created_at: timestamp,
		updated_at: timestamp,
	})
	.meta({ examples: [exampleMemory] });

export const memoryPageSchema = z
	.object({ data: z.array(memorySchema), next_cursor: z.string().nullable() })
	.meta({ examples: [{ data: [exampleMemory], next_cursor: null }] });

export const memoryListQuery = z.strictObject({
	limit: z.coerce.number().int().min(1).max(100).default(20).describe("Items per page, 1–100"),
	cursor: z.string().min(1).max(500).optional().describe("`next_cursor` of the previous page"),
	kind: memoryKind.optional().describe("Only memories of this kind"),
});

export const memoryCreateBody = z.strictObject({ text: memoryText, kind: memoryKind.default("fact") }).meta({
	examples: [
		{ text: "Is allergic to peanuts" },
		{ text: "Prefers answers with code examples in TypeScript", kind: "preference" },
	],
});

export const memoryPatchBody = z
	.strictObject({ text: memoryText.optional(), kind: memoryKind.optional() })
	.refine((body) => body.text !== undefined || body.kind !== undefined, {
		message: "send text or kind",
		path: ["text"],
	})
	.meta({ examples: [{ text: "Lives in Porto" }, { kind: "preference" }] });

export const memorySettingsSchema = z
	.object({ enabled: z.boolean().describe("Whether Parley learns from your messages and uses what it knows") })
	.meta({ examples: [{ enabled: true }] });

export const memorySettingsBody = z
	.strictObject({ enabled: z.boolean() })
	.meta({ examples: [{ enabled: false }, { enabled: true }] });
