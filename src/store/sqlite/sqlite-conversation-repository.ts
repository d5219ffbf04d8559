import type { Statement } from "better-sqlite3";
import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import type { ConversationRecord, ConversationRepository } from "../store-port.js";
import { preparedOnFirstUse, type SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

const conversationColumns = `id, user_id AS userId, title, model, prompt_tokens AS promptTokens,
	completion_tokens AS completionTokens, total_tokens AS totalTokens, interaction_count AS interactionCount,
	created_at AS createdAt, updated_at AS updatedAt`;

/**
 * One list query per combination of filters, each prepared once: a single statement with
 * `? IS NULL OR …` guards would stop SQLite from seeking the index to the cursor.
 * The title filter uses instr() rather than LIKE, so `%` and `_` in the search are plain
 * characters with nothing to escape, and unicode_lower() folds case beyond ASCII.
 * `user_id = +?` spares SQLite per-run work it does for a bare `?` here (see
 * sqlite-interaction-repository.ts, recentInConversation).
 */
function listSql(filterByTitle: boolean, afterCursor: boolean): string {
	return `SELECT ${conversationColumns} FROM conversations
		WHERE user_id = +?
		${filterByTitle ? "AND instr(unicode_lower(title), ?) > 0" : ""}
		${afterCursor ? "AND (updated_at, id) < (?, ?)" : ""}
		ORDER BY updated_at DESC, id DESC
		LIMIT ?`;
}

export function createSqliteConversationRepository({
	database,
	writeQueue,
}: SqliteRepositoryDependencies): ConversationRepository {
	const statements = preparedOnFirstUse(() => {
		database.function("unicode_lower", { deterministic: true }, (text: unknown) =>
			typeof text === "string" ? text.toLowerCase() : text,
		);
		const listVariants: Statement<unknown[], ConversationRecord>[] = [];
		for (const filterByTitle of [false, true]) {
			for (const afterCursor of [false, true]) {
				listVariants.push(database.prepare<unknown[], ConversationRecord>(listSql(filterByTitle, afterCursor)));
			}
		}
		return {
			findById: database.prepare<[string, string], ConversationRecord>(
				`SELECT ${conversationColumns} FROM conversations WHERE id = ? AND user_id = ?`,
			),
			list: (filterByTitle: boolean, afterCursor: boolean) =>
				listVariants[(filterByTitle ? 2 : 0) + (afterCursor ? 1 : 0)]!,
			updateTitle: database.prepare<[string, number, string, string]>(
				"UPDATE conversations SET title = ?, updated_at = ? WHERE id = ? AND user_id = ?",
			),
			// Interactions go with it through ON DELETE CASCADE.
			delete: database.prepare<[string, string]>("DELETE FROM conversations WHERE id = ? AND user_id = ?"),
		};
	});

	return {
		async findById(userId, id) {
			return statements().findById.get(id, userId);
		},

		async list(userId, request) {
			checkPageLimit(request.limit);
			const parameters: unknown[] = [userId];
			const filterByTitle = request.titleContains !== undefined && request.titleContains !== "";
			if (filterByTitle) {
				parameters.push(request.titleContains!.toLowerCase());
			}
			const afterCursor = request.cursor !== undefined;
			if (afterCursor) {
				const position = decodeCursor(request.cursor!);
				parameters.push(position.timestamp, position.id);
			}
			parameters.push(request.limit + 1);
			const rows = statements()
				.list(filterByTitle, afterCursor)
				.all(...parameters);
			return toPage(rows, request.limit, (conversation) => ({
				timestamp: conversation.updatedAt,
				id: conversation.id,
			}));
		},

		updateTitle(userId, id, title, at) {
			return writeQueue.run(() => {
				if (statements().updateTitle.run(title, at, id, userId).changes === 0) {
					return undefined;
				}
				return statements().findById.get(id, userId);
			});
		},

		delete(userId, id) {
			return writeQueue.run(() => statements().delete.run(id, userId).changes > 0);
		},
	};
}
