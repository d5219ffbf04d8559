import type { Embedder } from "../rag/embedder-port.js";
import type { MemoryRecord } from "../store/memory-port.js";
import type { Store } from "../store/store-port.js";

/**
 * Moves a user's memories into the configured embedder's vector space after EMBEDDER changes.
 * Until then they are still listed, and preferences still reach every prompt, but similarity
 * never compares vectors of different embedders, so facts would go unfound and repeats unnoticed.
 * Each user is checked once per process, the first time their memory is used: a user has a few
 * hundred memories at most, so the check is one pass over them, and `parley reindex` (documents)
 * need not know about memories.
 */

/** Users checked so far; forgotten wholesale past this, which only means checking again. */
const maximumRememberedUsers = 100_000;
const pageSize = 100;

export function createMemoryVectorRefresher(dependencies: { store: Store; embedder: Embedder }) {
	const { store, embedder } = dependencies;
	const checked = new Set<string>();

	return {
		/** Whether the user's memories still need checking in this process. */
		needed(userId: string): boolean {
			return !checked.has(userId);
		},

		/** Re-embeds the user's memories made by another embedder. Run it in the user's queue. */
		async refresh(userId: string): Promise<number> {
			if (checked.has(userId)) return 0;
			const stale: MemoryRecord[] = [];
			let cursor: string | undefined;
			do {
				const page = await store.memories.list(userId, { limit: pageSize, cursor });
				stale.push(...page.items.filter((memory) => memory.embedderId !== embedder.id));
				cursor = page.nextCursor ?? undefined;
			} while (cursor !== undefined);
			for (let start = 0; start < stale.length; start += pageSize) {
				const batch = stale.slice(start, start + pageSize);
				const vectors = await embedder.embed(
					batch.map((memory) => memory.text),
					"document",
				);
				for (const [index, memory] of batch.entries()) {
					// Text and vector travel together: a text changed meanwhile keeps its own vector. The
					// update time stays: to the user nothing changed.
					const current = await store.memories.findById(userId, memory.id);
					if (current === undefined || current.text !== memory.text) continue;
					const patch = { vector: vectors[index]!, embedderId: embedder.id };
					await store.memories.update(userId, memory.id, patch, current.updatedAt);
				}
			}
			if (checked.size >= maximumRememberedUsers) checked.clear();
			checked.add(userId);
			return stale.length;
		},
	};
}
