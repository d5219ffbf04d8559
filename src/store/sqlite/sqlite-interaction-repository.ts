import type { Statement } from "better-sqlite3";
import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import {
	ConversationMissingError,
	type InteractionRecord,
	type InteractionRepository,
	type RecordInteractionInput,
} from "../store-port.js";
import { withConflictsMapped } from "./sqlite-conflicts.js";
import { preparedOnFirstUse, type SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

interface InteractionRow extends Omit<InteractionRecord, "usageEstimated" | "metadata"> {
	usageEstimated: number;
	metadata: string | null;
}

const interactionColumns = `id, user_id AS userId, conversation_id AS conversationId, api_key_id AS apiKeyId,
	endpoint, provider, model, system, prompt, response, prompt_tokens AS promptTokens,
	completion_tokens AS completionTokens, total_tokens AS totalTokens, prompt_text_tokens AS promptTextTokens,
	usage_estimated AS usageEstimated, cost_micro_usd AS costMicroUsd, latency_ms AS latencyMs, finish_reason AS finishReason,
	request_id AS requestId, metadata, created_at AS createdAt`;

const insertInteractionSql = `INSERT INTO interactions (id, user_id, conversation_id, api_key_id, endpoint, provider,
		model, system, prompt, response, prompt_tokens, completion_tokens, total_tokens, prompt_text_tokens,
		usage_estimated, cost_micro_usd, latency_ms, finish_reason, request_id, metadata, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** `user_id = +?`: see recentInConversation below for why the parameter carries a unary plus. */
function listSql(afterCursor: boolean): string {
	return `SELECT ${interactionColumns} FROM interactions
		WHERE user_id = +? ${afterCursor ? "AND (created_at, id) < (?, ?)" : ""}
		ORDER BY created_at DESC, id DESC
		LIMIT ?`;
}

/**
 * The chat hot path (recentInConversation, then record) runs only statements prepared once:
 * building queries per request would cost more than executing them.
 */
export function createSqliteInteractionRepository({
	database,
	writeQueue,
}: SqliteRepositoryDependencies): InteractionRepository {
	const statements = preparedOnFirstUse(() => {
		const listFirstPage = database.prepare<unknown[], InteractionRow>(listSql(false));
		const listAfterCursor = database.prepare<unknown[], InteractionRow>(listSql(true));
		return {
			insert: database.prepare<unknown[]>(insertInteractionSql),
			insertConversation: database.prepare<[string, string, string, string, number, number, number, number, number]>(
				`INSERT INTO conversations (id, user_id, title, model, prompt_tokens, completion_tokens, total_tokens,
					interaction_count, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			),
			addToConversation: database.prepare<[number, number, number, string, number, string, string]>(
				`UPDATE conversations SET prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?,
					total_tokens = total_tokens + ?, interaction_count = interaction_count + 1, model = ?, updated_at = ?
				WHERE id = ? AND user_id = ?`,
			),
			findById: database.prepare<[string, string], InteractionRow>(
				`SELECT ${interactionColumns} FROM interactions WHERE id = ? AND user_id = ?`,
			),
			// `+?` rather than `?`: when a bare parameter is compared with an index column of a query
			// that also sorts by that index, SQLite 3.54 redoes work on every run, apparently
			// re-preparing (measured: 16-21 µs instead of 7 µs for ten turns; a literal is as fast as
			// `+?`). The unary plus keeps the same index plan; EXPLAIN QUERY PLAN is unchanged.
			recentInConversation: database.prepare<[string, string, number], InteractionRow>(
				`SELECT ${interactionColumns} FROM interactions
				WHERE conversation_id = +? AND user_id = +?
				ORDER BY created_at DESC, id DESC
				LIMIT ?`,
			),
			list: (afterCursor: boolean): Statement<unknown[], InteractionRow> =>
				afterCursor ? listAfterCursor : listFirstPage,
		};
	});

	function writeConversation({ interaction, newConversation }: RecordInteractionInput): void {
		if (newConversation !== undefined) {
			if (newConversation.id !== interaction.conversationId) {
				throw new Error("newConversation.id must equal interaction.conversationId");
			}
			withConflictsMapped(() =>
				statements().insertConversation.run(
					newConversation.id,
					interaction.userId,
					newConversation.title,
					interaction.model,
					interaction.promptTokens,
					interaction.completionTokens,
					interaction.totalTokens,
					newConversation.createdAt,
					interaction.createdAt,
				),
			);
			return;
		}
		if (interaction.conversationId === null) {
			return;
		}
		// Matching on user_id too makes another user's conversation look exactly like a missing one.
		const changed = statements().addToConversation.run(
			interaction.promptTokens,
			interaction.completionTokens,
			interaction.totalTokens,
			interaction.model,
			interaction.createdAt,
			interaction.conversationId,
			interaction.userId,
		).changes;
		if (changed === 0) {
			throw new ConversationMissingError();
		}
	}

	return {
		record(input) {
			const insert = () =>
				withConflictsMapped(() => statements().insert.run(...toInteractionValues(input.interaction)));
			if (input.newConversation === undefined && input.interaction.conversationId === null) {
				return writeQueue.run(insert, { singleStatement: true }).then(() => undefined);
			}
			// One unit of work: if the insert fails, the savepoint also undoes the conversation change.
			return writeQueue.run(() => {
				writeConversation(input);
				insert();
			});
		},

		async findById(userId, id) {
			const row = statements().findById.get(id, userId);
			return row === undefined ? undefined : toInteractionRecord(row);
		},

		async recentInConversation(userId, conversationId, limit) {
			if (limit <= 0) {
				return [];
			}
			const rows = statements().recentInConversation.all(conversationId, userId, limit);
			// Fetched newest first so LIMIT keeps the newest; handed back in conversation order.
			return rows.reverse().map(toInteractionRecord);
		},

		async list(userId, request) {
			checkPageLimit(request.limit);
			const parameters: unknown[] = [userId];
			const afterCursor = request.cursor !== undefined;
			if (afterCursor) {
				const position = decodeCursor(request.cursor!);
				parameters.push(position.timestamp, position.id);
			}
			parameters.push(request.limit + 1);
			const rows = statements()
				.list(afterCursor)
				.all(...parameters);
			return toPage(rows.map(toInteractionRecord), request.limit, (interaction) => ({
				timestamp: interaction.createdAt,
				id: interaction.id,
			}));
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
		interaction.usageEstimated ? 1 : 0,
		interaction.costMicroUsd,
		interaction.latencyMs,
		interaction.finishReason,
		interaction.requestId,
		interaction.metadata === null ? null : JSON.stringify(interaction.metadata),
		interaction.createdAt,
	];
}

function toInteractionRecord(row: InteractionRow): InteractionRecord {
	return {
		...row,
		usageEstimated: row.usageEstimated === 1,
		metadata: row.metadata === null ? null : JSON.parse(row.metadata),
	};
}
