import { AppError } from "../errors.js";
import type { ConversationRecord, InteractionRecord, Page, PageRequest, Store } from "../store/store-port.js";

/** Turns shown in a conversation's detail; longer conversations show their latest turns. */
const detailTurnLimit = 1000;

const conversationNotFound = () => new AppError("not_found", { detail: "conversation not found" });

export type ConversationService = ReturnType<typeof createConversationService>;

/** Reading and managing a user's stored conversations and interaction history. */
export function createConversationService(options: { store: Store; now?: () => number }) {
	const { store } = options;
	const now = options.now ?? Date.now;
	return {
		async get(userId: string, id: string): Promise<{ conversation: ConversationRecord; turns: InteractionRecord[] }> {
			const conversation = await store.conversations.findById(userId, id);
			if (!conversation) throw conversationNotFound();
			return { conversation, turns: await store.interactions.recentInConversation(userId, id, detailTurnLimit) };
		},

		list: (userId: string, request: PageRequest & { titleContains?: string | undefined }) =>
			store.conversations.list(userId, request),

		async rename(userId: string, id: string, title: string): Promise<ConversationRecord> {
			const updated = await store.conversations.updateTitle(userId, id, title, now());
			if (!updated) throw conversationNotFound();
			return updated;
		},

		async delete(userId: string, id: string): Promise<void> {
			if (!(await store.conversations.delete(userId, id))) throw conversationNotFound();
		},

		history: (userId: string, request: PageRequest): Promise<Page<InteractionRecord>> =>
			store.interactions.list(userId, request),
	};
}
