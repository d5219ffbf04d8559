import type { Principal } from "../auth/principal.js";
import { AppError } from "../errors.js";
import type { Embedder } from "../rag/embedder-port.js";
import { newId } from "../store/ids.js";
import type { MemoryKind, MemoryRecord } from "../store/memory-port.js";
import type { Page, PageRequest } from "../store/page.js";
import type { Store } from "../store/store-port.js";
import { createMemoryContextBuilder, type MemoryContext } from "./memory-context.js";
import type { MemoryModelReference, MemoryModelSource } from "./memory-model.js";
import { createMemoryObserver, type MemoryLogger, type ObserveInput } from "./memory-observer.js";
import { findDuplicate } from "./memory-reconciliation.js";
import { defaultMemoryTuning, type MemoryTuning } from "./memory-tuning.js";

export type { MemoryContext } from "./memory-context.js";
export type { ObserveInput } from "./memory-observer.js";

/**
 * User memory: durable facts and preferences Parley learns from what users say about themselves
 * (observe), hands to the model with each prompt (contextFor), and lets users see, correct,
 * delete and switch off (the rest). Every call is scoped to the principal's own user.
 */

export interface MemoryServiceDependencies {
	store: Store;
	embedder: Embedder;
	logger: MemoryLogger;
	/** The configured default model: extraction is rule-based when its provider is the mock. */
	defaultModel: MemoryModelReference;
	/** MEMORY_MODEL: extracts every user's memories when set, whatever model they chat with. */
	extractionModel?: MemoryModelReference | undefined;
	/** AI SDK models for real providers (memory-model.ts); absent → rule-based extraction only. */
	languageModelFor?: MemoryModelSource | undefined;
	modelCall?: { maxRetries: number; timeoutMs: number } | undefined;
	tuning?: Partial<MemoryTuning> | undefined;
	now?: () => number;
}

export interface MemorySettings {
	enabled: boolean;
}

export type MemoryService = ReturnType<typeof createMemoryService>;

/** Longest memory text accepted from the API (the HTTP schema enforces it too). */
export const maximumMemoryTextLength = 1000;
const nearestForDuplicates = 10;

const memoryNotFound = () => new AppError("not_found", { detail: "memory not found" });

function tidy(text: string): string {
	const tidied = text.replace(/\s+/g, " ").trim();
	if (tidied.length === 0 || tidied.length > maximumMemoryTextLength) {
		throw new AppError("validation_failed", {
			detail: `text must have 1 to ${maximumMemoryTextLength} characters`,
		});
	}
	return tidied;
}

export function createMemoryService(dependencies: MemoryServiceDependencies) {
	const { store, embedder, logger } = dependencies;
	const now = dependencies.now ?? Date.now;
	const tuning: MemoryTuning = { ...defaultMemoryTuning, ...dependencies.tuning };
	const observer = createMemoryObserver({
		store,
		embedder,
		logger,
		tuning,
		now,
		defaultModel: dependencies.defaultModel,
		extractionModel: dependencies.extractionModel,
		languageModelFor: dependencies.languageModelFor,
		modelCall: dependencies.modelCall ?? { maxRetries: 2, timeoutMs: 60_000 },
	});
	const context = createMemoryContextBuilder({ store, embedder, logger, tuning });

	async function embedOne(text: string): Promise<Float32Array> {
		const [vector] = await embedder.embed([text], "document");
		return vector!;
	}

	async function owned(principal: Principal, id: string): Promise<MemoryRecord> {
		const memory = await store.memories.findById(principal.userId, id);
		if (memory === undefined) throw memoryNotFound();
		return memory;
	}

	return {
		/**
		 * Learns from a user's message, after the answer: call it without awaiting. The promise
		 * never rejects and resolves once the memories are written; errors are logged.
		 */
		observe(principal: Principal, input: ObserveInput): Promise<void> {
			return observer.observe(principal.userId, input);
		},

		/** The system-prompt section for this prompt. Never throws; empty when memory is off. */
		contextFor(
			principal: Principal,
			prompt: string,
			options: { maxTokens: number; memoryEnabled?: boolean | undefined },
		): Promise<MemoryContext> {
			// In the background: this prompt goes with what can be found now, the next ones with everything.
			if (observer.vectorsNeedRefresh(principal.userId)) void observer.refreshVectors(principal.userId);
			return context.contextFor(principal.userId, prompt, options);
		},

		/** Newest first. */
		list(principal: Principal, request: PageRequest & { kind?: MemoryKind | undefined }): Promise<Page<MemoryRecord>> {
			return store.memories.list(principal.userId, request);
		},

		get: owned,

		/**
		 * Adds a memory by hand. When the user already has one saying the same, that one is returned
		 * with `created: false` instead of a second copy.
		 */
		async create(
			principal: Principal,
			input: { text: string; kind?: MemoryKind | undefined },
		): Promise<{ memory: MemoryRecord; created: boolean }> {
			const text = tidy(input.text);
			const vector = await embedOne(text);
			const nearest = await store.memories.nearest(principal.userId, vector, embedder.id, nearestForDuplicates);
			const duplicate = findDuplicate(text, nearest, tuning.duplicateThreshold);
			if (duplicate !== undefined) return { memory: duplicate, created: false };
			const at = now();
			const memory = await store.memories.create({
				id: newId(),
				userId: principal.userId,
				text,
				kind: input.kind ?? "fact",
				sourceInteractionId: null,
				vector,
				embedderId: embedder.id,
				createdAt: at,
				updatedAt: at,
			});
			return { memory, created: true };
		},

		async update(
			principal: Principal,
			id: string,
			patch: { text?: string | undefined; kind?: MemoryKind | undefined },
		): Promise<MemoryRecord> {
			const current = await owned(principal, id);
			const text = patch.text === undefined ? undefined : tidy(patch.text);
			const rewritten = text !== undefined && text !== current.text;
			const updated = await store.memories.update(
				principal.userId,
				id,
				{
					...(rewritten ? { text, vector: await embedOne(text), embedderId: embedder.id } : {}),
					...(patch.kind === undefined ? {} : { kind: patch.kind }),
				},
				now(),
			);
			if (updated === undefined) throw memoryNotFound();
			return updated;
		},

		async delete(principal: Principal, id: string): Promise<void> {
			if (!(await store.memories.delete(principal.userId, id))) throw memoryNotFound();
		},

		/** Returns how many were deleted. A message being learnt from right now adds nothing back. */
		async deleteAll(principal: Principal): Promise<number> {
			observer.discardInFlight(principal.userId);
			return store.memories.deleteAll(principal.userId);
		},

		async settings(principal: Principal): Promise<MemorySettings> {
			const user = await store.users.findById(principal.userId);
			if (user === undefined) throw new AppError("not_found", { detail: "user not found" });
			return { enabled: user.memoryEnabled };
		},

		/** Off: nothing more is learnt or used; what is remembered stays until deleted. */
		async setEnabled(principal: Principal, enabled: boolean): Promise<MemorySettings> {
			if (!enabled) observer.discardInFlight(principal.userId);
			const user = await store.users.update(principal.userId, { memoryEnabled: enabled }, now());
			if (user === undefined) throw new AppError("not_found", { detail: "user not found" });
			return { enabled: user.memoryEnabled };
		},

		/** Resolves once no extraction is under way (graceful shutdown, tests). */
		idle(): Promise<void> {
			return observer.idle();
		},
	};
}
