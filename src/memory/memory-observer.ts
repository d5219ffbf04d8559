import type { LanguageModel } from "ai";
import { mockProviderName } from "../llm/mock/mock-model.js";
import type { Embedder } from "../rag/embedder-port.js";
import { newId } from "../store/ids.js";
import type { Store } from "../store/store-port.js";
import { createLlmExtractor } from "./llm-extractor.js";
import type { MemoryModelReference, MemoryModelSource } from "./memory-model.js";
import { findDuplicate, type MemoryDecision, reconcileCandidate } from "./memory-reconciliation.js";
import type { MemoryTuning } from "./memory-tuning.js";
import { createMemoryVectorRefresher } from "./memory-vector-refresh.js";
import { extractMemoryCandidates } from "./rule-extractor.js";

/**
 * Learning from a user's messages, in the background. Each user's observations run one after
 * another (two messages sent together must not both add the same fact), different users' in
 * parallel. Nothing here ever rejects: a failure is logged and the memory simply not learnt.
 */

export interface MemoryLogger {
	warn(details: Record<string, unknown>, message: string): void;
}

export interface ObserveInput {
	/** The user's message, as they wrote it. */
	message: string;
	/** The interaction it belongs to, recorded as the memory's source. */
	interactionId?: string | null | undefined;
	/** The model that answered it; memories are extracted with it unless MEMORY_MODEL names another. */
	model?: MemoryModelReference | undefined;
}

export interface MemoryObserverDependencies {
	store: Store;
	embedder: Embedder;
	logger: MemoryLogger;
	tuning: MemoryTuning;
	now: () => number;
	/** Used when the chat turn names no model: the configured default. */
	defaultModel: MemoryModelReference;
	/** Always used when set (MEMORY_MODEL). */
	extractionModel?: MemoryModelReference | undefined;
	/** AI SDK models for real providers; without it every extraction is rule-based. */
	languageModelFor?: MemoryModelSource | undefined;
	/** The provider call's retries and time limit. */
	modelCall: { maxRetries: number; timeoutMs: number };
}

export interface MemoryObserver {
	observe(userId: string, input: ObserveInput): Promise<void>;
	/**
	 * Makes observations of this user that are under way write nothing more: called when the user
	 * deletes all memories or turns memory off, so a message sent just before cannot bring one back.
	 */
	discardInFlight(userId: string): void;
	/** Whether the user's memories may still hold vectors of another embedder (checked once per process). */
	vectorsNeedRefresh(userId: string): boolean;
	/** Queues that check (memory-vector-refresh.ts) behind the user's observations. Never rejects. */
	refreshVectors(userId: string): Promise<void>;
	/** Resolves once no observation is under way (shutdown, tests). */
	idle(): Promise<void>;
}

export function createMemoryObserver(dependencies: MemoryObserverDependencies): MemoryObserver {
	const { store, embedder, logger, tuning, now } = dependencies;
	const queues = new Map<string, Promise<void>>();
	/** Bumped by discardInFlight; an observation writes only while the value it started with is current. */
	const epochs = new Map<string, number>();
	const refresher = createMemoryVectorRefresher({ store, embedder });

	function enqueue(userId: string, work: () => Promise<void>): Promise<void> {
		const next = (queues.get(userId) ?? Promise.resolve()).then(work).catch((error: unknown) => {
			logger.warn({ err: error, user_id: userId }, "memory extraction failed");
		});
		queues.set(userId, next);
		void next.then(() => {
			if (queues.get(userId) === next) {
				queues.delete(userId);
				epochs.delete(userId);
			}
		});
		return next;
	}

	async function apply(
		userId: string,
		decisions: readonly MemoryDecision[],
		vectors: ReadonlyMap<string, Float32Array>,
		sourceInteractionId: string | null,
		epoch: number,
	): Promise<void> {
		if (decisions.length === 0) return;
		// Memory may have been switched off (here or through the profile) while the model was thinking.
		if ((await store.users.findById(userId))?.memoryEnabled !== true) return;
		for (const decision of decisions) {
			// Checked right before each write is queued: a deletion queued after this write still wins.
			if ((epochs.get(userId) ?? 0) !== epoch) return;
			const at = now();
			if (decision.event === "ADD") {
				const vector = vectors.get(decision.text);
				if (vector === undefined) continue;
				await store.memories.create({
					id: newId(),
					userId,
					text: decision.text,
					kind: decision.kind,
					sourceInteractionId,
					vector,
					embedderId: embedder.id,
					createdAt: at,
					updatedAt: at,
				});
			} else if (decision.event === "UPDATE") {
				const vector = vectors.get(decision.text);
				if (vector === undefined) continue;
				const patch = { text: decision.text, kind: decision.kind, vector, embedderId: embedder.id };
				await store.memories.update(userId, decision.id, patch, at);
			} else if (decision.event === "DELETE") {
				await store.memories.delete(userId, decision.id);
			}
		}
	}

	async function observeWithRules(userId: string, input: ObserveInput, epoch: number): Promise<void> {
		const candidates = extractMemoryCandidates(input.message);
		if (candidates.length === 0) return;
		const vectors = await embedder.embed(
			candidates.map((candidate) => candidate.text),
			"document",
		);
		for (const [index, candidate] of candidates.entries()) {
			const vector = vectors[index]!;
			const neighbours = await store.memories.nearest(userId, vector, embedder.id, tuning.neighbourCount);
			const decisions = reconcileCandidate(candidate, neighbours, tuning.duplicateThreshold);
			await apply(userId, decisions, new Map([[candidate.text, vector]]), input.interactionId ?? null, epoch);
		}
	}

	async function observeWithModel(
		userId: string,
		input: ObserveInput,
		model: LanguageModel,
		epoch: number,
	): Promise<void> {
		const [messageVector] = await embedder.embed([input.message], "query");
		const neighbours = await store.memories.nearest(userId, messageVector!, embedder.id, tuning.modelNeighbourCount);
		const extractor = createLlmExtractor({ model, ...dependencies.modelCall });
		const decisions = await extractor.decide({
			message: input.message,
			existing: neighbours.map(({ memory }) => ({ id: memory.id, text: memory.text, kind: memory.kind })),
		});
		const texts = [...new Set(decisions.flatMap((decision) => ("text" in decision ? [decision.text] : [])))];
		const embedded = texts.length === 0 ? [] : await embedder.embed(texts, "document");
		const vectors = new Map(texts.map((text, index) => [text, embedded[index]!]));
		const kept: MemoryDecision[] = [];
		for (const decision of decisions) {
			if (decision.event === "ADD") {
				// The model saw only the nearest few; a repeat of an older memory is caught here.
				const vector = vectors.get(decision.text)!;
				const nearest = await store.memories.nearest(userId, vector, embedder.id, tuning.neighbourCount);
				if (findDuplicate(decision.text, nearest, tuning.duplicateThreshold) !== undefined) continue;
			}
			kept.push(decision);
		}
		await apply(userId, kept, vectors, input.interactionId ?? null, epoch);
	}

	async function modelFor(input: ObserveInput): Promise<LanguageModel | undefined> {
		const reference = dependencies.extractionModel ?? input.model ?? dependencies.defaultModel;
		if (reference.provider === mockProviderName || dependencies.languageModelFor === undefined) return undefined;
		try {
			return await dependencies.languageModelFor(reference);
		} catch (error) {
			logger.warn({ err: error, provider: reference.provider }, "memory model unavailable; using rules");
			return undefined;
		}
	}

	async function observeNow(userId: string, input: ObserveInput, epoch: number): Promise<void> {
		if (input.message.trim().length === 0) return;
		const user = await store.users.findById(userId);
		if (user === undefined || !user.memoryEnabled) return;
		await refresher.refresh(userId);
		const model = await modelFor(input);
		if (model !== undefined) {
			try {
				await observeWithModel(userId, input, model, epoch);
				return;
			} catch (error) {
				logger.warn({ err: error, user_id: userId }, "memory extraction by model failed; using rules");
			}
		}
		await observeWithRules(userId, input, epoch);
	}

	return {
		observe(userId, input) {
			const epoch = epochs.get(userId) ?? 0;
			return enqueue(userId, () => observeNow(userId, input, epoch));
		},

		vectorsNeedRefresh: (userId) => refresher.needed(userId),

		refreshVectors(userId) {
			return enqueue(userId, async () => {
				await refresher.refresh(userId);
			});
		},

		discardInFlight(userId) {
			if (queues.has(userId)) epochs.set(userId, (epochs.get(userId) ?? 0) + 1);
		},

		async idle() {
			while (queues.size > 0) await Promise.all(queues.values());
		},
	};
}
