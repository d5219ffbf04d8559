import type { WebhookDeliveryRecord, WebhookRecord, WebhookRepository } from "../webhook-port.js";
import { preparedOnFirstUse, type SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

const webhookColumns = `id, user_id AS userId, url, events, description, secret_ciphertext AS secretCiphertext,
	secret_iv AS secretIv, secret_auth_tag AS secretAuthTag, wrapped_key AS wrappedKey, master_key_id AS masterKeyId,
	enabled, consecutive_failures AS consecutiveFailures, disabled_reason AS disabledReason, created_at AS createdAt,
	updated_at AS updatedAt`;

const deliveryColumns = `id, webhook_id AS webhookId, user_id AS userId, event_id AS eventId, event_type AS eventType,
	status, attempts, response_status AS responseStatus, error, created_at AS createdAt, updated_at AS updatedAt`;

type WebhookRow = Omit<WebhookRecord, "events" | "enabled"> & { events: string; enabled: number };

const blob = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const toRecord = (row: WebhookRow): WebhookRecord => ({
	...row,
	events: JSON.parse(row.events) as string[],
	enabled: row.enabled === 1,
});

export function createSqliteWebhookRepository({
	database,
	writeQueue,
}: SqliteRepositoryDependencies): WebhookRepository {
	const statements = preparedOnFirstUse(() => ({
		insert: database.prepare(
			`INSERT INTO webhooks (id, user_id, url, events, description, secret_ciphertext, secret_iv, secret_auth_tag,
				wrapped_key, master_key_id, enabled, consecutive_failures, disabled_reason, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		),
		find: database.prepare<[string, string], WebhookRow>(
			`SELECT ${webhookColumns} FROM webhooks WHERE user_id = ? AND id = ?`,
		),
		listByUser: database.prepare<[string], WebhookRow>(
			`SELECT ${webhookColumns} FROM webhooks WHERE user_id = ? ORDER BY created_at, id`,
		),
		delete: database.prepare<[string, string]>("DELETE FROM webhooks WHERE user_id = ? AND id = ?"),
		succeeded: database.prepare<[number, string, string], WebhookRow>(
			`UPDATE webhooks SET consecutive_failures = 0, updated_at = ? WHERE user_id = ? AND id = ?
			RETURNING ${webhookColumns}`,
		),
		// SQLite evaluates every SET expression against the row as it was, so the CASEs see the old count.
		failed: database.prepare<[number, number, string, number, string, string], WebhookRow>(
			`UPDATE webhooks SET consecutive_failures = consecutive_failures + 1,
				enabled = CASE WHEN consecutive_failures + 1 >= ? THEN 0 ELSE enabled END,
				disabled_reason = CASE WHEN consecutive_failures + 1 >= ? AND enabled = 1 THEN ? ELSE disabled_reason END,
				updated_at = ?
			WHERE user_id = ? AND id = ?
			RETURNING ${webhookColumns}`,
		),
		listOther: database.prepare<[string, string, number], WebhookRow>(
			`SELECT ${webhookColumns} FROM webhooks WHERE master_key_id <> ? AND id > ? ORDER BY id LIMIT ?`,
		),
		rewrap: database.prepare<[Buffer, string, string, string, string]>(
			"UPDATE webhooks SET wrapped_key = ?, master_key_id = ? WHERE user_id = ? AND id = ? AND master_key_id = ?",
		),
		insertDelivery: database.prepare(
			`INSERT INTO webhook_deliveries (id, webhook_id, user_id, event_id, event_type, status, attempts, response_status,
				error, created_at, updated_at)
			SELECT ?, id, user_id, ?, ?, ?, ?, ?, ?, ?, ? FROM webhooks WHERE user_id = ? AND id = ?`,
		),
		updateDelivery: database.prepare(
			`UPDATE webhook_deliveries SET status = ?, attempts = ?, response_status = ?, error = ?, updated_at = ?
			WHERE user_id = ? AND id = ?`,
		),
		listDeliveries: database.prepare<[string, string, number], WebhookDeliveryRecord>(
			`SELECT ${deliveryColumns} FROM webhook_deliveries WHERE user_id = ? AND webhook_id = ? ORDER BY id DESC LIMIT ?`,
		),
	}));

	return {
		create(record) {
			return writeQueue.run(() => {
				statements().insert.run(
					record.id,
					record.userId,
					record.url,
					JSON.stringify(record.events),
					record.description,
					blob(record.secretCiphertext),
					blob(record.secretIv),
					blob(record.secretAuthTag),
					blob(record.wrappedKey),
					record.masterKeyId,
					record.enabled ? 1 : 0,
					record.consecutiveFailures,
					record.disabledReason,
					record.createdAt,
					record.updatedAt,
				);
				return record;
			});
		},

		async find(userId, id) {
			const row = statements().find.get(userId, id);
			return row && toRecord(row);
		},

		async listByUser(userId) {
			return statements().listByUser.all(userId).map(toRecord);
		},

		delete(userId, id) {
			// The delivery log goes with it (ON DELETE CASCADE).
			return writeQueue.run(() => statements().delete.run(userId, id).changes === 1);
		},

		recordOutcome(userId, id, outcome) {
			return writeQueue.run(() => {
				const row = outcome.succeeded
					? statements().succeeded.get(outcome.at, userId, id)
					: statements().failed.get(
							outcome.disableAfter,
							outcome.disableAfter,
							outcome.disabledReason,
							outcome.at,
							userId,
							id,
						);
				return row && toRecord(row);
			});
		},

		async listWrappedWithOtherKey(masterKeyId, afterId, limit) {
			// "" sorts before every id, so no position means from the start.
			return statements()
				.listOther.all(masterKeyId, afterId ?? "", limit)
				.map(toRecord);
		},

		rewrap(change) {
			return writeQueue.run(
				() =>
					statements().rewrap.run(
						blob(change.wrappedKey),
						change.masterKeyId,
						change.userId,
						change.id,
						change.expectedMasterKeyId,
					).changes === 1,
			);
		},

		async createDelivery(record) {
			await writeQueue.run(() =>
				statements().insertDelivery.run(
					record.id,
					record.eventId,
					record.eventType,
					record.status,
					record.attempts,
					record.responseStatus,
					record.error,
					record.createdAt,
					record.updatedAt,
					record.userId,
					record.webhookId,
				),
			);
		},

		async updateDelivery(userId, id, update) {
			await writeQueue.run(() =>
				statements().updateDelivery.run(
					update.status,
					update.attempts,
					update.responseStatus,
					update.error,
					update.updatedAt,
					userId,
					id,
				),
			);
		},

		async listDeliveries(userId, webhookId, limit) {
			return statements().listDeliveries.all(userId, webhookId, limit);
		},
	};
}
