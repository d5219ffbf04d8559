import type { Page, PageRequest } from "./page.js";

/**
 * Storage of user memories: durable facts and preferences a user told Parley about themselves.
 * Part of the storage port (`Store.memories`); every call is scoped by the owner's user id.
 */

export type MemoryKind = "fact" | "preference";

export interface MemoryRecord {
	id: string;
	userId: string;
	text: string;
	kind: MemoryKind;
	/** The interaction whose user message it came from; null when added through the API. */
	sourceInteractionId: string | null;
	/** Unit vector of `text` from the embedder named by embedderId. */
	vector: Float32Array;
	embedderId: string;
	createdAt: number;
	updatedAt: number;
}

export interface MemoryPatch {
	text?: string;
	kind?: MemoryKind;
	vector?: Float32Array;
	embedderId?: string;
}

export interface MemoryRepository {
	create(memory: MemoryRecord): Promise<MemoryRecord>;
	findById(userId: string, id: string): Promise<MemoryRecord | undefined>;
	/** Newest first. */
	list(userId: string, request: PageRequest & { kind?: MemoryKind | undefined }): Promise<Page<MemoryRecord>>;
	update(userId: string, id: string, patch: MemoryPatch, at: number): Promise<MemoryRecord | undefined>;
	delete(userId: string, id: string): Promise<boolean>;
	/** Returns how many were deleted. */
	deleteAll(userId: string): Promise<number>;
	/** Whether the user has any memory at all: the cheap check before any similarity work. */
	hasAny(userId: string): Promise<boolean>;
	/** The user's memories closest to `vector` (cosine, same embedder), best first. */
	nearest(
		userId: string,
		vector: Float32Array,
		embedderId: string,
		k: number,
	): Promise<Array<{ memory: MemoryRecord; score: number }>>;
	/** All of the user's memories of one kind (preferences are always injected). */
	listByKind(userId: string, kind: MemoryKind, limit: number): Promise<MemoryRecord[]>;
}

/** A memory with a patch applied: `undefined` fields stay as they are. Shared by every store. */
export function applyMemoryPatch(current: MemoryRecord, patch: MemoryPatch, at: number): MemoryRecord {
	return {
		...current,
		text: patch.text ?? current.text,
		kind: patch.kind ?? current.kind,
		vector: patch.vector === undefined ? current.vector : Float32Array.from(patch.vector),
		embedderId: patch.embedderId ?? current.embedderId,
		updatedAt: at,
	};
}
