import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import type { QuestionRecord, QuestionRepository } from "../question-port.js";
import { withConflictsMapped } from "./postgres-conflicts.js";
import { type PostgresRepositoryDependencies, queryOne } from "./postgres-repository-support.js";

// usage and citations are jsonb, which node-postgres hands back parsed.
const questionColumns = `id, user_id AS "userId", session_id AS "sessionId", question,
	requested_model AS "requestedModel", rag, status, model, answer, interaction_id AS "interactionId", usage, citations,
	error_code AS "errorCode", error_detail AS "errorDetail", attempts, claim_token AS "claimToken",
	dead_lettered_at AS "deadLetteredAt", request_id AS "requestId", created_at AS "createdAt",
	updated_at AS "updatedAt", finished_at AS "finishedAt"`;

const unfinished = "status IN ('pending', 'processing')";

/**
 * Every state change is one conditional UPDATE … RETURNING: PostgreSQL re-checks the WHERE clause
 * on the latest row version after waiting for a concurrent writer, so of two deliveries racing on
 * one question only the one whose claim still holds writes anything.
 */
export function createPostgresQuestionRepository({ pool }: PostgresRepositoryDependencies): QuestionRepository {
	const update = (text: string, values: unknown[]) =>
		queryOne<QuestionRecord>(pool, `${text} RETURNING ${questionColumns}`, values);

	return {
		async create(question) {
			const created = await withConflictsMapped(() =>
				update(
					`INSERT INTO questions (id, user_id, session_id, question, requested_model, rag, status, attempts,
						request_id, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8, $8)`,
					[
						question.id,
						question.userId,
						question.sessionId,
						question.question,
						question.requestedModel,
						question.rag,
						question.requestId,
						question.createdAt,
					],
				),
			);
			if (created === undefined) throw new Error("question insert returned no row");
			return created;
		},

		findById(userId, id) {
			return queryOne<QuestionRecord>(pool, `SELECT ${questionColumns} FROM questions WHERE id = $1 AND user_id = $2`, [
				id,
				userId,
			]);
		},

		async list(userId, request) {
			checkPageLimit(request.limit);
			const parameters: unknown[] = [userId];
			const conditions = ["user_id = $1"];
			if (request.sessionId !== undefined) {
				parameters.push(request.sessionId);
				conditions.push(`session_id = $${parameters.length}`);
			}
			if (request.status !== undefined) {
				parameters.push(request.status);
				conditions.push(`status = $${parameters.length}`);
			}
			if (request.cursor !== undefined) {
				const position = decodeCursor(request.cursor);
				parameters.push(position.timestamp, position.id);
				conditions.push(`(created_at, id) < ($${parameters.length - 1}, $${parameters.length})`);
			}
			parameters.push(request.limit + 1);
			const { rows } = await pool.query<QuestionRecord>(
				`SELECT ${questionColumns} FROM questions WHERE ${conditions.join(" AND ")}
				ORDER BY created_at DESC, id DESC LIMIT $${parameters.length}`,
				parameters,
			);
			return toPage(rows, request.limit, (question) => ({ timestamp: question.createdAt, id: question.id }));
		},

		claim(id, claimToken, at) {
			return update(
				`UPDATE questions SET status = 'processing', claim_token = $1, attempts = attempts + 1, updated_at = $2
				WHERE id = $3 AND ${unfinished}`,
				[claimToken, at, id],
			);
		},

		answer(id, claimToken, answer, at) {
			return update(
				`UPDATE questions SET status = 'answered', model = $1, answer = $2, interaction_id = $3, usage = $4,
					citations = $5, error_code = NULL, error_detail = NULL, claim_token = NULL, updated_at = $6,
					finished_at = $6
				WHERE id = $7 AND claim_token = $8 AND status = 'processing'`,
				[
					answer.model,
					answer.answer,
					answer.interactionId,
					JSON.stringify(answer.usage),
					JSON.stringify(answer.citations),
					at,
					id,
					claimToken,
				],
			);
		},

		async release(id, claimToken, error, at) {
			const changed = await pool.query(
				`UPDATE questions SET status = 'pending', error_code = $1, error_detail = $2, claim_token = NULL,
					updated_at = $3
				WHERE id = $4 AND claim_token = $5 AND status = 'processing'`,
				[error.code, error.detail, at, id, claimToken],
			);
			return changed.rowCount === 1;
		},

		fail(id, claimToken, failure, at) {
			const values = [failure.code, failure.detail, failure.deadLettered ? at : null, at, id];
			const set = `UPDATE questions SET status = 'failed', error_code = $1, error_detail = $2, dead_lettered_at = $3,
				claim_token = NULL, updated_at = $4, finished_at = $4`;
			return claimToken === null
				? update(`${set} WHERE id = $5 AND ${unfinished}`, values)
				: update(`${set} WHERE id = $5 AND claim_token = $6 AND status = 'processing'`, [...values, claimToken]);
		},

		async listDeadLettered(request) {
			checkPageLimit(request.limit);
			const parameters: unknown[] = [];
			let afterCursor = "";
			if (request.cursor !== undefined) {
				const position = decodeCursor(request.cursor);
				parameters.push(position.timestamp, position.id);
				afterCursor = "AND (dead_lettered_at, id) < ($1, $2)";
			}
			parameters.push(request.limit + 1);
			const { rows } = await pool.query<QuestionRecord>(
				`SELECT ${questionColumns} FROM questions WHERE dead_lettered_at IS NOT NULL ${afterCursor}
				ORDER BY dead_lettered_at DESC, id DESC LIMIT $${parameters.length}`,
				parameters,
			);
			return toPage(rows, request.limit, (question) => ({
				timestamp: question.deadLetteredAt ?? question.createdAt,
				id: question.id,
			}));
		},

		revive(id, at) {
			return update(
				`UPDATE questions SET status = 'pending', attempts = 0, dead_lettered_at = NULL, error_code = NULL,
					error_detail = NULL, claim_token = NULL, finished_at = NULL, updated_at = $1
				WHERE id = $2 AND dead_lettered_at IS NOT NULL`,
				[at, id],
			);
		},
	};
}
