import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import type { ConversationRecord, ConversationRepository, InteractionRecord } from "../store-port.js";
import { conversationKey, conversationPartition, interactionKey } from "./dynamodb-conversation-keys.js";
import { type ItemOperations, timeOrderedKey } from "./dynamodb-items.js";

type ConversationItem = { data: ConversationRecord };

export function createDynamoConversationRepository(items: ItemOperations): ConversationRepository {
	return {
		async findById(userId, id) {
			return (await items.get<ConversationItem>(conversationKey(userId, id)))?.data;
		},

		async list(userId, request) {
			checkPageLimit(request.limit);
			const position = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
			const needle = request.titleContains?.toLowerCase() ?? "";
			const found = await items.query<ConversationItem>({
				index: "gsi1",
				partition: `USER#${userId}#CONVERSATIONS`,
				newestFirst: true,
				...(position === undefined ? {} : { sort: { below: timeOrderedKey(position.timestamp, position.id) } }),
				limit: request.limit + 1,
				...(needle === "" ? {} : { filter: (item) => item.data.title.toLowerCase().includes(needle) }),
			});
			return toPage(
				found.map((item) => item.data),
				request.limit,
				(conversation) => ({ timestamp: conversation.updatedAt, id: conversation.id }),
			);
		},

		async updateTitle(userId, id, title, at) {
			const updated = await items.update<ConversationItem>(
				conversationKey(userId, id),
				"SET #data.title = :title, #data.updatedAt = :at, gsi1sk = :sort",
				{
					names: { "#data": "data" },
					values: { ":title": title, ":at": at, ":sort": timeOrderedKey(at, id) },
					condition: "attribute_exists(pk)",
				},
			);
			return updated?.data;
		},

		async delete(userId, id) {
			// The conversation goes first, so it vanishes at once; its turns and ledger entries follow.
			const removed = await items.remove(conversationKey(userId, id), { expression: "attribute_exists(pk)" });
			if (removed === undefined) return false;
			const turns = await items.query<{ pk: string; sk: string; data: InteractionRecord }>({
				partition: conversationPartition(userId, id),
			});
			await items.removeMany([
				...turns.map((turn) => interactionKey(turn.data.id)),
				...turns.map((turn) => ({ pk: turn.pk, sk: turn.sk })),
			]);
			return true;
		},
	};
}
