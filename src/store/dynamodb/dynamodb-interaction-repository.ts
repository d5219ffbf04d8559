import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import {
	ConversationMissingError,
	type ConversationRecord,
	type InteractionRecord,
	type InteractionRepository,
	StoreConflictError,
} from "../store-port.js";
import {
	conversationKey,
	conversationPartition,
	interactionKey,
	ledgerIndex,
	turnKey,
	userConversationsIndex,
	userInteractionsIndex,
} from "./dynamodb-conversation-keys.js";
import { type ItemOperations, timeOrderedKey } from "./dynamodb-items.js";

type InteractionItem = { data: InteractionRecord };

/**
 * Recording a turn touches three items without a transaction, in an order that keeps failures
 * visible and harmless: (1) the conversation is created or its counters added to, under a
 * condition that it exists in the caller's partition — a missing conversation stops everything
 * before any write; (2) the ledger entry is written if its id is new, else (1) is undone and
 * the conflict reported; (3) the turn copy for the conversation's history. A process dying
 * between (1) and (3) leaves counters that include a turn history lacks — never a charge
 * without its ledger entry.
 */
export function createDynamoInteractionRepository(items: ItemOperations): InteractionRepository {
	async function addToConversation(interaction: InteractionRecord, sign: 1 | -1) {
		return items.update(
			conversationKey(interaction.userId, interaction.conversationId!),
			"SET #data.promptTokens = #data.promptTokens + :prompt, #data.completionTokens = #data.completionTokens + :completion, " +
				"#data.totalTokens = #data.totalTokens + :total, #data.interactionCount = #data.interactionCount + :count" +
				(sign === 1 ? ", #data.model = :model, #data.updatedAt = :at, gsi1sk = :sort" : ""),
			{
				names: { "#data": "data" },
				values: {
					":prompt": sign * interaction.promptTokens,
					":completion": sign * interaction.completionTokens,
					":total": sign * interaction.totalTokens,
					":count": sign,
					...(sign === 1
						? {
								":model": interaction.model,
								":at": interaction.createdAt,
								":sort": timeOrderedKey(interaction.createdAt, interaction.conversationId!),
							}
						: {}),
				},
				condition: "attribute_exists(pk)",
			},
		);
	}

	return {
		async record({ interaction, newConversation }) {
			// A taken id is refused before the conversation is touched; the conditional write below
			// still catches one taken in between (and undoes the conversation change).
			if ((await items.get(interactionKey(interaction.id))) !== undefined) throw new StoreConflictError("id");
			if (newConversation !== undefined) {
				if (newConversation.id !== interaction.conversationId) {
					throw new Error("newConversation.id must equal interaction.conversationId");
				}
				const conversation: ConversationRecord = {
					id: newConversation.id,
					userId: interaction.userId,
					title: newConversation.title,
					model: interaction.model,
					promptTokens: interaction.promptTokens,
					completionTokens: interaction.completionTokens,
					totalTokens: interaction.totalTokens,
					interactionCount: 1,
					createdAt: newConversation.createdAt,
					updatedAt: interaction.createdAt,
				};
				const created = await items.put(
					{
						...conversationKey(interaction.userId, conversation.id),
						data: conversation,
						gsi1pk: userConversationsIndex(interaction.userId),
						gsi1sk: timeOrderedKey(conversation.updatedAt, conversation.id),
					},
					{ expression: "attribute_not_exists(pk)" },
				);
				if (!created) throw new StoreConflictError("id");
			} else if (interaction.conversationId !== null) {
				if ((await addToConversation(interaction, 1)) === undefined) throw new ConversationMissingError();
			}
			const written = await items.put(
				{
					...interactionKey(interaction.id),
					data: interaction,
					gsi1pk: userInteractionsIndex(interaction.userId),
					gsi1sk: timeOrderedKey(interaction.createdAt, interaction.id),
					gsi2pk: ledgerIndex(interaction.createdAt),
					gsi2sk: timeOrderedKey(interaction.createdAt, interaction.id),
				},
				{ expression: "attribute_not_exists(pk)" },
			);
			if (!written) {
				if (newConversation !== undefined) {
					await items.remove(conversationKey(interaction.userId, newConversation.id));
				} else if (interaction.conversationId !== null) {
					await addToConversation(interaction, -1);
				}
				throw new StoreConflictError("id");
			}
			if (interaction.conversationId !== null) {
				await items.put({
					...turnKey(interaction.userId, interaction.conversationId, interaction.createdAt, interaction.id),
					data: interaction,
				});
			}
		},

		async findById(userId, id) {
			const found = await items.get<InteractionItem>(interactionKey(id));
			return found?.data.userId === userId ? found.data : undefined;
		},

		async recentInConversation(userId, conversationId, limit) {
			const turns = await items.query<InteractionItem>({
				partition: conversationPartition(userId, conversationId),
				sort: { beginsWith: "TURN#" },
				newestFirst: true,
				limit,
			});
			return turns.map((turn) => turn.data).reverse();
		},

		async list(userId, request) {
			checkPageLimit(request.limit);
			const position = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
			const found = await items.query<InteractionItem>({
				index: "gsi1",
				partition: userInteractionsIndex(userId),
				newestFirst: true,
				...(position === undefined ? {} : { sort: { below: timeOrderedKey(position.timestamp, position.id) } }),
				limit: request.limit + 1,
			});
			return toPage(
				found.map((item) => item.data),
				request.limit,
				(interaction) => ({ timestamp: interaction.createdAt, id: interaction.id }),
			);
		},
	};
}
