import { generateText, type LanguageModel, Output } from "ai";
import { z } from "zod";
import type { MemoryKind } from "../store/memory-port.js";
import type { MemoryDecision } from "./memory-reconciliation.js";

/**
 * Memory extraction with a real model, mem0-style: one structured-output call sees the user's
 * message and their most similar existing memories, and says per fact whether to ADD it, UPDATE
 * or DELETE an existing memory, or do nothing. Whatever the model answers is checked: ids it
 * invents, empty or oversized texts are dropped; an answer that is not the schema at all throws,
 * so the caller can fall back to the rule-based extractor.
 */

export interface ExistingMemory {
	id: string;
	text: string;
	kind: MemoryKind;
}

export interface LlmExtractionInput {
	message: string;
	/** The user's memories most similar to the message, best first. */
	existing: readonly ExistingMemory[];
}

export interface LlmExtractor {
	decide(input: LlmExtractionInput, options?: { signal?: AbortSignal | undefined }): Promise<MemoryDecision[]>;
}

export interface LlmExtractorOptions {
	model: LanguageModel;
	/** Retries of the provider call (the AI SDK's own, with backoff). */
	maxRetries: number;
	/** Per call, retries included. */
	timeoutMs: number;
}

/** Longer memories are not memories but pasted text. */
const maximumMemoryLength = 300;
const maximumDecisions = 10;
/** The message is the user's; past this it is a document, and its start is what speaks of them. */
const maximumMessageLength = 4000;

const decisionsSchema = z.object({
	memories: z.array(
		z.object({
			event: z.enum(["ADD", "UPDATE", "DELETE", "NOOP"]),
			id: z.string().nullable().describe("UPDATE, DELETE, NOOP: the id of the existing memory. ADD: null"),
			text: z.string().describe("The memory: one short fact or preference, third person, in the user's language"),
			kind: z.enum(["fact", "preference"]),
		}),
	),
});

const instructions = `You maintain a memory of durable facts and preferences about one user, to personalise later answers.
Read the user's new message and their existing memories, then decide for each fact the message states about the user:
- ADD: a new fact or preference, not already known. id: null.
- UPDATE: it corrects or refines an existing memory (they moved; they changed their mind). id: that memory's id; text: the new memory.
- DELETE: it says an existing memory is no longer true and leaves nothing to remember instead. id: that memory's id.
- NOOP: it is already known. id: that memory's id.
Remember only what the user states about themselves, as lasting: identity, name, home, work, family, diet, health, tastes,
how they want to be answered (tone, length, language). Never remember questions ("am I vegetarian?"), hypotheses,
plans, wishes, passing states ("I'm tired"), statements about other people, or the task they are asking for help with.
Write each memory short, in the third person without a subject ("Is vegetarian", "Lives in Porto", "Prefers short answers"),
in the language the user wrote in. kind is "preference" for tastes and how to answer, "fact" otherwise.
If the message states nothing to remember, return {"memories": []}.
Answer with JSON only, shaped like {"memories": [{"event": "ADD", "id": null, "text": "Lives in Porto", "kind": "fact"}]}.`;

function promptFor(input: LlmExtractionInput, ids: readonly string[]): string {
	const existing = input.existing.map((memory, index) => ({ id: ids[index], text: memory.text, kind: memory.kind }));
	return `Existing memories (JSON):\n${JSON.stringify(existing)}\n\nThe user's new message:\n<message>\n${input.message.slice(0, maximumMessageLength)}\n</message>`;
}

const outputName = "memory_decisions";

/**
 * Chat Completions servers that only know {"type": "json_object"} (openai-compatible models built
 * without structured outputs, see memory-model.ts) are asked for plain JSON and the answer is
 * checked here: handing them the schema only makes the AI SDK warn on the console at every call.
 */
function enforcesSchemas(model: LanguageModel): boolean {
	return (
		typeof model === "string" || (model as { supportsStructuredOutputs?: unknown }).supportsStructuredOutputs !== false
	);
}

function tidyText(text: string): string | undefined {
	const tidied = text.replace(/\s+/g, " ").trim();
	return tidied.length === 0 || tidied.length > maximumMemoryLength ? undefined : tidied;
}

export function createLlmExtractor(options: LlmExtractorOptions): LlmExtractor {
	return {
		async decide(input, callOptions) {
			// Short ids the model can copy without error, as mem0 does; real ids never reach the model.
			const ids = input.existing.map((_memory, index) => String(index));
			const byShortId = new Map(input.existing.map((memory, index) => [ids[index]!, memory]));
			const { output } = await generateText({
				model: options.model,
				system: instructions,
				prompt: promptFor(input, ids),
				output: enforcesSchemas(options.model)
					? Output.object({ schema: decisionsSchema, name: outputName })
					: Output.json({ name: outputName }),
				maxRetries: options.maxRetries,
				timeout: options.timeoutMs,
				abortSignal: callOptions?.signal,
			});
			const parsed = decisionsSchema.safeParse(output);
			if (!parsed.success)
				throw new Error(`the model's memory decisions do not match the schema: ${parsed.error.message}`);

			const decisions: MemoryDecision[] = [];
			const touched = new Set<string>();
			for (const decision of parsed.data.memories) {
				if (decisions.length === maximumDecisions) break;
				if (decision.event === "NOOP") continue;
				const text = tidyText(decision.text);
				if (decision.event === "ADD") {
					if (text !== undefined) decisions.push({ event: "ADD", text, kind: decision.kind });
					continue;
				}
				// UPDATE and DELETE must name a memory the model was shown, each at most once.
				const target = decision.id === null ? undefined : byShortId.get(decision.id.trim());
				if (target === undefined || touched.has(target.id)) continue;
				if (decision.event === "DELETE") {
					touched.add(target.id);
					decisions.push({ event: "DELETE", id: target.id });
				} else if (text !== undefined) {
					touched.add(target.id);
					decisions.push({ event: "UPDATE", id: target.id, text, kind: decision.kind });
				}
			}
			return decisions;
		},
	};
}
