import { type ItemKey, timeOrderedKey } from "./dynamodb-items.js";

/**
 * Where conversations and interactions live (see dynamodb-interaction-repository.ts):
 * - `CONV#<userId>#<conversationId>` / `META`: the conversation, listed per user in gsi1
 *   (`USER#<userId>#CONVERSATIONS`, by updatedAt) — the user id in the partition key means a
 *   request can only ever name its own conversations;
 * - the same partition, `TURN#<createdAt>#<interactionId>`: each turn, for strongly consistent history;
 * - `INTERACTION#<id>` / `RECORD`: the ledger entry of every call, listed per user in gsi1
 *   (`USER#<userId>#INTERACTIONS`) and per UTC day across users in gsi2 (`LEDGER#<YYYY-MM-DD>`).
 */

export const conversationPartition = (userId: string, conversationId: string) => `CONV#${userId}#${conversationId}`;
export const conversationKey = (userId: string, conversationId: string): ItemKey => ({
	pk: conversationPartition(userId, conversationId),
	sk: "META",
});
export const turnKey = (userId: string, conversationId: string, createdAt: number, id: string): ItemKey => ({
	pk: conversationPartition(userId, conversationId),
	sk: `TURN#${timeOrderedKey(createdAt, id)}`,
});
export const interactionKey = (id: string): ItemKey => ({ pk: `INTERACTION#${id}`, sk: "RECORD" });
export const userConversationsIndex = (userId: string) => `USER#${userId}#CONVERSATIONS`;
export const userInteractionsIndex = (userId: string) => `USER#${userId}#INTERACTIONS`;
export const ledgerIndex = (createdAt: number) => `LEDGER#${new Date(createdAt).toISOString().slice(0, 10)}`;
