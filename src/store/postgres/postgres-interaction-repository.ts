import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import {
	ConversationMissingError,
	type InteractionRecord,
	type InteractionRepository,
	type RecordInteractionInput,
} from "../store-port.js";
import { withConflictsMapped } from "./postgres-conflicts.js";
import { type PostgresRepositoryDependencies, type Queryable, queryOne } from "./postgres-repository-support.js";

const interactionColumns = `id, user_id AS "userId", conversation_id AS "conversationId", api_key_id AS "apiKeyId",
	endpoint, provider, model, system, prompt, response, prompt_tokens AS "promptTokens",
	completion_tokens AS "completionTokens", total_tokens AS "totalTokens", prompt_text_tokens AS "promptTextTokens",
	usage_estimated AS "usageEstimated", cost_micro_usd AS "costMicroUsd", latency_ms AS "latencyMs", finish_reason AS "finishReason",
	request_id AS "requestId", metadata, created_at AS "createdAt"`;

const insertInteractionSql = `INSERT INTO interactions (id, user_id, conversation_id, api_key_id, endpoint, provider,
		model, system, prompt, response, prompt_tokens, completion_tokens, total_tokens, prompt_text_tokens,
		usage_estimated, cost_micro_usd, latency_ms, finish_reason, request_id, metadata, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`;

export function createPostgresInteractionRepository({
	pool,
	transaction,
}: PostgresRepositoryDependencies): InteractionRepository {
	async function writeConversation(client: Queryable, { interaction, newConversation }: RecordInteractionInput) {
		if (newConversation !== undefined) {
			if (newConversation.id !== interaction.conversationId) {
				throw new Error("newConversation.id must equal interaction.conversationId");
			}
			await client.query(
				`INSERT INTO conversations (id, user_id, title, model, prompt_tokens, completion_tokens, total_tokens,
					interaction_count, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)`,
				[
					newConversation.id,
					interaction.userId,
					newConversation.title,
					interaction.model,
					interaction.promptTokens,
					interaction.completionTokens,
					interaction.totalTokens,
					newConversation.createdAt,
					interaction.createdAt,
				],
			);
			return;
		}
		// Matching on user_id too makes another user's conversation look exactly like a missing one.
		const changed = await client.query(
			`UPDATE conversations SET prompt_tokens = prompt_tokens + $1, completion_tokens = completion_tokens + $2,
				total_tokens = total_tokens + $3, interaction_count = interaction_count + 1, model = $4, updated_at = $5
			WHERE id = $6 AND user_id = $7`,
			[
				interaction.promptTokens,
				interaction.completionTokens,
				interaction.totalTokens,
				interaction.model,
				interaction.createdAt,
				interaction.conversationId,
				interaction.userId,
			],
		);
		if (changed.rowCount === 0) throw new ConversationMissingError();
	}

	return {
		async record(input) {
			const values = toInteractionValues(input.interaction);
			if (input.newConversation === undefined && input.interaction.conversationId === null) {
				await withConflictsMapped(() => pool.query(insertInteractionSql, values));
				return;
			}
			// One transaction: if the insert fails, the conversation change is rolled back with it.
			await withConflictsMapped(() =>
				transaction(async (client) => {
					await writeConversation(client, input);
					await client.query(insertInteractionSql, values);
				}),
			);
		},

		findById(userId, id) {
			return queryOne<InteractionRecord>(
				pool,
				`SELECT ${interactionColumns} FROM interactions WHERE id = $1 AND user_id = $2`,
				[id, userId],
			);
		},

		async recentInConversation(userId, conversationId, limit) {
			if (limit <= 0) return [];
			const { rows } = await pool.query<InteractionRecord>(
				`SELECT ${interactionColumns} FROM interactions WHERE conversation_id = $1 AND user_id = $2
				ORDER BY created_at DESC, id DESC LIMIT $3`,
				[conversationId, userId, limit],
			);
			// Fetched newest first so LIMIT keeps the newest; handed back in conversation order.
			return rows.reverse();
		},

		async list(userId, request) {
			checkPageLimit(request.limit);
			const parameters: unknown[] = [userId];
			let afterCursor = "";
			if (request.cursor !== undefined) {
				const position = decodeCursor(request.cursor);
				parameters.push(position.timestamp, position.id);
				afterCursor = "AND (created_at, id) < ($2, $3)";
			}
			parameters.push(request.limit + 1);
			const { rows } = await pool.query<InteractionRecord>(
				`SELECT ${interactionColumns} FROM interactions WHERE user_id = $1 ${afterCursor}
				ORDER BY created_at DESC, id DESC LIMIT $${parameters.length}`,
				parameters,
			);
			return toPage(rows, request.limit, (interaction) => ({ timestamp: interaction.createdAt, id: interaction.id }));
		},
	};
}

function toInteractionValues(interaction: InteractionRecord): unknown[] {
	return [
		interaction.id,
		interaction.userId,
		interaction.conversationId,
		interaction.apiKeyId,
		interaction.endpoint,
		interaction.provider,
		interaction.model,
		interaction.system,
		interaction.prompt,
		interaction.response,
		interaction.promptTokens,
		interaction.completionTokens,
		interaction.totalTokens,
		interaction.promptTextTokens,
		interaction.usageEstimated,
		interaction.costMicroUsd,
		interaction.latencyMs,
		interaction.finishReason,
		interaction.requestId,
		interaction.metadata === null ? null : JSON.stringify(interaction.metadata),
		interaction.createdAt,
	];
}
