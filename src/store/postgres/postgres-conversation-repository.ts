import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import type { ConversationRecord, ConversationRepository } from "../store-port.js";
import { type PostgresRepositoryDependencies, queryOne } from "./postgres-repository-support.js";

export const conversationColumns = `id, user_id AS "userId", title, model, prompt_tokens AS "promptTokens",
	completion_tokens AS "completionTokens", total_tokens AS "totalTokens", interaction_count AS "interactionCount",
	created_at AS "createdAt", updated_at AS "updatedAt"`;

export function createPostgresConversationRepository({ pool }: PostgresRepositoryDependencies): ConversationRepository {
	return {
		findById(userId, id) {
			return queryOne<ConversationRecord>(
				pool,
				`SELECT ${conversationColumns} FROM conversations WHERE id = $1 AND user_id = $2`,
				[id, userId],
			);
		},

		async list(userId, request) {
			checkPageLimit(request.limit);
			const parameters: unknown[] = [userId];
			const conditions = ["user_id = $1"];
			if (request.titleContains !== undefined && request.titleContains !== "") {
				// strpos rather than LIKE: `%` and `_` in the search are plain characters, nothing to escape.
				// lower() folds beyond ASCII in a UTF-8 database with a libc or ICU locale, like the
				// JavaScript lower-casing the SQLite store uses.
				parameters.push(request.titleContains.toLowerCase());
				conditions.push(`strpos(lower(title), $${parameters.length}) > 0`);
			}
			if (request.cursor !== undefined) {
				const position = decodeCursor(request.cursor);
				parameters.push(position.timestamp, position.id);
				conditions.push(`(updated_at, id) < ($${parameters.length - 1}, $${parameters.length})`);
			}
			parameters.push(request.limit + 1);
			const { rows } = await pool.query<ConversationRecord>(
				`SELECT ${conversationColumns} FROM conversations WHERE ${conditions.join(" AND ")}
				ORDER BY updated_at DESC, id DESC LIMIT $${parameters.length}`,
				parameters,
			);
			return toPage(rows, request.limit, (conversation) => ({
				timestamp: conversation.updatedAt,
				id: conversation.id,
			}));
		},

		updateTitle(userId, id, title, at) {
			return queryOne<ConversationRecord>(
				pool,
				`UPDATE conversations SET title = $1, updated_at = $2 WHERE id = $3 AND user_id = $4
				RETURNING ${conversationColumns}`,
				[title, at, id, userId],
			);
		},

		async delete(userId, id) {
			// Interactions go with it through ON DELETE CASCADE.
			const deleted = await pool.query("DELETE FROM conversations WHERE id = $1 AND user_id = $2", [id, userId]);
			return (deleted.rowCount ?? 0) > 0;
		},
	};
}
