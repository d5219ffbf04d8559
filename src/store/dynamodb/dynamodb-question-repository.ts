import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import type { QuestionRecord, QuestionRepository } from "../question-port.js";
import { StoreConflictError } from "../store-port.js";
import { type ItemOperations, setFields, timeOrderedKey } from "./dynamodb-items.js";

/**
 * Async questions: `QUESTION#<id>` / `RECORD`, listed per user in gsi1
 * (`USER#<userId>#QUESTIONS`, newest first) and, while dead-lettered, in gsi2 (`DEADLETTER`,
 * by the time it was given up). Every state change is one conditional update on the claim
 * token, so of two deliveries racing on one question only the current holder writes.
 */

type QuestionItem = { data: QuestionRecord };

const keyOf = (id: string) => ({ pk: `QUESTION#${id}`, sk: "RECORD" });
const unfinished = "#data.#status IN (:pending, :processing)";
const statusValues = { ":pending": "pending", ":processing": "processing" };
const deadLetterPartition = "DEADLETTER";

export function createDynamoQuestionRepository(items: ItemOperations): QuestionRepository {
	async function change(
		id: string,
		fields: Record<string, unknown>,
		condition: string,
		conditionValues: Record<string, unknown>,
		top: Record<string, unknown> = {},
	): Promise<QuestionRecord | undefined> {
		const update = setFields(fields, top);
		const updated = await items.update<QuestionItem>(keyOf(id), update.expression, {
			// DynamoDB refuses names an expression does not use, so only the condition's own are added.
			names: { ...update.names, ...conditionNames(condition) },
			values: { ...update.values, ...conditionValues },
			condition: `attribute_exists(pk) AND ${condition}`,
		});
		return updated?.data;
	}

	return {
		async create(question) {
			const record: QuestionRecord = {
				...question,
				status: "pending",
				model: null,
				answer: null,
				interactionId: null,
				usage: null,
				citations: null,
				errorCode: null,
				errorDetail: null,
				attempts: 0,
				claimToken: null,
				deadLetteredAt: null,
				updatedAt: question.createdAt,
				finishedAt: null,
			};
			const written = await items.put(
				{
					...keyOf(question.id),
					data: record,
					gsi1pk: `USER#${question.userId}#QUESTIONS`,
					gsi1sk: timeOrderedKey(question.createdAt, question.id),
				},
				{ expression: "attribute_not_exists(pk)" },
			);
			if (!written) throw new StoreConflictError("id");
			return record;
		},

		async findById(userId, id) {
			const found = (await items.get<QuestionItem>(keyOf(id)))?.data;
			return found?.userId === userId ? found : undefined;
		},

		async list(userId, request) {
			checkPageLimit(request.limit);
			const position = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
			const found = await items.query<QuestionItem>({
				index: "gsi1",
				partition: `USER#${userId}#QUESTIONS`,
				newestFirst: true,
				...(position === undefined ? {} : { sort: { below: timeOrderedKey(position.timestamp, position.id) } }),
				limit: request.limit + 1,
				filter: ({ data }) =>
					(request.sessionId === undefined || data.sessionId === request.sessionId) &&
					(request.status === undefined || data.status === request.status),
			});
			return toPage(
				found.map((item) => item.data),
				request.limit,
				(question) => ({ timestamp: question.createdAt, id: question.id }),
			);
		},

		async claim(id, claimToken, at) {
			const current = (await items.get<QuestionItem>(keyOf(id)))?.data;
			if (current === undefined || (current.status !== "pending" && current.status !== "processing")) return undefined;
			// Conditional on the attempts seen, so two concurrent claims cannot both count one attempt.
			return change(
				id,
				{ status: "processing", claimToken, attempts: current.attempts + 1, updatedAt: at },
				`${unfinished} AND #data.attempts = :seenAttempts`,
				{ ...statusValues, ":seenAttempts": current.attempts },
			);
		},

		answer(id, claimToken, answer, at) {
			return change(
				id,
				{
					status: "answered",
					model: answer.model,
					answer: answer.answer,
					interactionId: answer.interactionId,
					usage: answer.usage,
					citations: answer.citations,
					errorCode: null,
					errorDetail: null,
					claimToken: null,
					updatedAt: at,
					finishedAt: at,
				},
				"#data.#claim = :token AND #data.#status = :processing",
				{ ":token": claimToken, ":processing": "processing" },
			);
		},

		async release(id, claimToken, error, at) {
			const released = await change(
				id,
				{ status: "pending", errorCode: error.code, errorDetail: error.detail, claimToken: null, updatedAt: at },
				"#data.#claim = :token AND #data.#status = :processing",
				{ ":token": claimToken, ":processing": "processing" },
			);
			return released !== undefined;
		},

		fail(id, claimToken, failure, at) {
			const fields = {
				status: "failed",
				errorCode: failure.code,
				errorDetail: failure.detail,
				deadLetteredAt: failure.deadLettered ? at : null,
				claimToken: null,
				updatedAt: at,
				finishedAt: at,
			};
			const top = failure.deadLettered ? { gsi2pk: deadLetterPartition, gsi2sk: timeOrderedKey(at, id) } : {};
			return claimToken === null
				? change(id, fields, unfinished, statusValues, top)
				: change(
						id,
						fields,
						"#data.#claim = :token AND #data.#status = :processing",
						{ ":token": claimToken, ":processing": "processing" },
						top,
					);
		},

		async listDeadLettered(request) {
			checkPageLimit(request.limit);
			const position = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
			const found = await items.query<QuestionItem>({
				index: "gsi2",
				partition: deadLetterPartition,
				newestFirst: true,
				...(position === undefined ? {} : { sort: { below: timeOrderedKey(position.timestamp, position.id) } }),
				limit: request.limit + 1,
				filter: ({ data }) => data.deadLetteredAt !== null,
			});
			return toPage(
				found.map((item) => item.data),
				request.limit,
				(question) => ({ timestamp: question.deadLetteredAt ?? question.createdAt, id: question.id }),
			);
		},

		revive(id, at) {
			return change(
				id,
				{
					status: "pending",
					attempts: 0,
					deadLetteredAt: null,
					errorCode: null,
					errorDetail: null,
					claimToken: null,
					finishedAt: null,
					updatedAt: at,
				},
				"#data.#dead <> :none",
				{ ":none": null },
				{ gsi2pk: undefined, gsi2sk: undefined },
			);
		},
	};
}

function conditionNames(condition: string): Record<string, string> {
	const known: Record<string, string> = { "#status": "status", "#claim": "claimToken", "#dead": "deadLetteredAt" };
	return Object.fromEntries(Object.entries(known).filter(([placeholder]) => condition.includes(placeholder)));
}
