import type { Statement } from "better-sqlite3";
import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import type { PageRequest } from "../page.js";
import type {
	QuestionCitation,
	QuestionRecord,
	QuestionRepository,
	QuestionStatus,
	QuestionUsage,
} from "../question-port.js";
import { preparedOnFirstUse, type SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

interface QuestionRow {
	id: string;
	user_id: string;
	session_id: string;
	question: string;
	requested_model: string | null;
	rag: number;
	status: QuestionStatus;
	model: string | null;
	answer: string | null;
	interaction_id: string | null;
	usage: string | null;
	citations: string | null;
	error_code: string | null;
	error_detail: string | null;
	attempts: number;
	claim_token: string | null;
	dead_lettered_at: number | null;
	request_id: string | null;
	created_at: number;
	updated_at: number;
	finished_at: number | null;
}

const unfinished = "status IN ('pending', 'processing')";

/**
 * One list statement per filter combination, prepared once: `? IS NULL OR …` guards would keep
 * SQLite from seeking the index (see sqlite-conversation-repository.ts).
 */
function listSql(bySession: boolean, byStatus: boolean, afterCursor: boolean): string {
	return `SELECT * FROM questions WHERE user_id = ?
		${bySession ? "AND session_id = ?" : ""}
		${byStatus ? "AND status = ?" : ""}
		${afterCursor ? "AND (created_at, id) < (?, ?)" : ""}
		ORDER BY created_at DESC, id DESC LIMIT ?`;
}

export function createSqliteQuestionRepository({
	database,
	writeQueue,
}: SqliteRepositoryDependencies): QuestionRepository {
	const statements = preparedOnFirstUse(() => {
		const listVariants = new Map<string, Statement<unknown[], QuestionRow>>();
		for (const bySession of [false, true]) {
			for (const byStatus of [false, true]) {
				for (const afterCursor of [false, true]) {
					listVariants.set(
						`${bySession}${byStatus}${afterCursor}`,
						database.prepare<unknown[], QuestionRow>(listSql(bySession, byStatus, afterCursor)),
					);
				}
			}
		}
		return {
			insert: database.prepare<unknown[]>(
				`INSERT INTO questions (id, user_id, session_id, question, requested_model, rag, status, attempts,
					request_id, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
			),
			byId: database.prepare<[string], QuestionRow>("SELECT * FROM questions WHERE id = ?"),
			byOwner: database.prepare<[string, string], QuestionRow>("SELECT * FROM questions WHERE id = ? AND user_id = ?"),
			list: (bySession: boolean, byStatus: boolean, afterCursor: boolean) =>
				listVariants.get(`${bySession}${byStatus}${afterCursor}`)!,
			claim: database.prepare<[string, number, string]>(
				`UPDATE questions SET status = 'processing', claim_token = ?, attempts = attempts + 1, updated_at = ?
				WHERE id = ? AND ${unfinished}`,
			),
			answer: database.prepare<unknown[]>(
				`UPDATE questions SET status = 'answered', model = ?, answer = ?, interaction_id = ?, usage = ?, citations = ?,
					error_code = NULL, error_detail = NULL, claim_token = NULL, updated_at = ?, finished_at = ?
				WHERE id = ? AND claim_token = ? AND status = 'processing'`,
			),
			release: database.prepare<unknown[]>(
				`UPDATE questions SET status = 'pending', error_code = ?, error_detail = ?, claim_token = NULL, updated_at = ?
				WHERE id = ? AND claim_token = ? AND status = 'processing'`,
			),
			failClaimed: database.prepare<unknown[]>(
				`UPDATE questions SET status = 'failed', error_code = ?, error_detail = ?, dead_lettered_at = ?,
					claim_token = NULL, updated_at = ?, finished_at = ?
				WHERE id = ? AND claim_token = ? AND status = 'processing'`,
			),
			failAny: database.prepare<unknown[]>(
				`UPDATE questions SET status = 'failed', error_code = ?, error_detail = ?, dead_lettered_at = ?,
					claim_token = NULL, updated_at = ?, finished_at = ?
				WHERE id = ? AND ${unfinished}`,
			),
			deadLettered: database.prepare<[number], QuestionRow>(
				`SELECT * FROM questions WHERE dead_lettered_at IS NOT NULL
				ORDER BY dead_lettered_at DESC, id DESC LIMIT ?`,
			),
			deadLetteredAfter: database.prepare<[number, string, number], QuestionRow>(
				`SELECT * FROM questions WHERE dead_lettered_at IS NOT NULL AND (dead_lettered_at, id) < (?, ?)
				ORDER BY dead_lettered_at DESC, id DESC LIMIT ?`,
			),
			revive: database.prepare<[number, string]>(
				`UPDATE questions SET status = 'pending', attempts = 0, dead_lettered_at = NULL, error_code = NULL,
					error_detail = NULL, claim_token = NULL, finished_at = NULL, updated_at = ?
				WHERE id = ? AND dead_lettered_at IS NOT NULL`,
			),
		};
	});

	/** Runs one conditional write and reads the row back in the same unit, so both see one state. */
	const writeAndRead = (id: string, write: () => number) =>
		writeQueue.run(() => {
			const changed = write();
			if (changed === 0) return undefined;
			const row = statements().byId.get(id);
			return row === undefined ? undefined : toRecord(row);
		});

	return {
		async create(question) {
			await writeQueue.run(
				() => {
					statements().insert.run(
						question.id,
						question.userId,
						question.sessionId,
						question.question,
						question.requestedModel,
						question.rag ? 1 : 0,
						question.requestId,
						question.createdAt,
						question.createdAt,
					);
				},
				{ singleStatement: true },
			);
			return toRecord(statements().byId.get(question.id)!);
		},

		async findById(userId, id) {
			const row = statements().byOwner.get(id, userId);
			return row === undefined ? undefined : toRecord(row);
		},

		async list(userId, request) {
			checkPageLimit(request.limit);
			const parameters: unknown[] = [userId];
			const bySession = request.sessionId !== undefined;
			if (bySession) parameters.push(request.sessionId);
			const byStatus = request.status !== undefined;
			if (byStatus) parameters.push(request.status);
			const afterCursor = request.cursor !== undefined;
			if (afterCursor) {
				const position = decodeCursor(request.cursor!);
				parameters.push(position.timestamp, position.id);
			}
			parameters.push(request.limit + 1);
			const rows = statements()
				.list(bySession, byStatus, afterCursor)
				.all(...parameters);
			return toPage(rows.map(toRecord), request.limit, (question) => ({
				timestamp: question.createdAt,
				id: question.id,
			}));
		},

		claim(id, claimToken, at) {
			return writeAndRead(id, () => statements().claim.run(claimToken, at, id).changes);
		},

		answer(id, claimToken, answer, at) {
			return writeAndRead(
				id,
				() =>
					statements().answer.run(
						answer.model,
						answer.answer,
						answer.interactionId,
						JSON.stringify(answer.usage),
						JSON.stringify(answer.citations),
						at,
						at,
						id,
						claimToken,
					).changes,
			);
		},

		async release(id, claimToken, error, at) {
			return writeQueue.run(
				() => statements().release.run(error.code, error.detail, at, id, claimToken).changes === 1,
				{ singleStatement: true },
			);
		},

		fail(id, claimToken, failure, at) {
			const deadLetteredAt = failure.deadLettered ? at : null;
			return writeAndRead(id, () =>
				claimToken === null
					? statements().failAny.run(failure.code, failure.detail, deadLetteredAt, at, at, id).changes
					: statements().failClaimed.run(failure.code, failure.detail, deadLetteredAt, at, at, id, claimToken).changes,
			);
		},

		async listDeadLettered(request: PageRequest) {
			checkPageLimit(request.limit);
			let rows: QuestionRow[];
			if (request.cursor === undefined) {
				rows = statements().deadLettered.all(request.limit + 1);
			} else {
				const position = decodeCursor(request.cursor);
				rows = statements().deadLetteredAfter.all(position.timestamp, position.id, request.limit + 1);
			}
			return toPage(rows.map(toRecord), request.limit, (question) => ({
				timestamp: question.deadLetteredAt ?? question.createdAt,
				id: question.id,
			}));
		},

		revive(id, at) {
			return writeAndRead(id, () => statements().revive.run(at, id).changes);
		},
	};
}

function toRecord(row: QuestionRow): QuestionRecord {
	return {
		id: row.id,
		userId: row.user_id,
		sessionId: row.session_id,
		question: row.question,
		requestedModel: row.requested_model,
		rag: row.rag === 1,
		status: row.status,
		model: row.model,
		answer: row.answer,
		interactionId: row.interaction_id,
		usage: row.usage === null ? null : (JSON.parse(row.usage) as QuestionUsage),
		citations: row.citations === null ? null : (JSON.parse(row.citations) as QuestionCitation[]),
		errorCode: row.error_code,
		errorDetail: row.error_detail,
		attempts: row.attempts,
		claimToken: row.claim_token,
		deadLetteredAt: row.dead_lettered_at,
		requestId: row.request_id,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		finishedAt: row.finished_at,
	};
}
