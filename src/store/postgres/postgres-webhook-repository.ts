import type { WebhookDeliveryRecord, WebhookRecord, WebhookRepository } from "../webhook-port.js";
import { type PostgresRepositoryDependencies, queryOne } from "./postgres-repository-support.js";

// bytea columns come back as Buffers (the port's Uint8Arrays), jsonb as parsed arrays.
const webhookColumns = `id, user_id AS "userId", url, events, description, secret_ciphertext AS "secretCiphertext",
	secret_iv AS "secretIv", secret_auth_tag AS "secretAuthTag", wrapped_key AS "wrappedKey",
	master_key_id AS "masterKeyId", enabled, consecutive_failures AS "consecutiveFailures",
	disabled_reason AS "disabledReason", created_at AS "createdAt", updated_at AS "updatedAt"`;

const deliveryColumns = `id, webhook_id AS "webhookId", user_id AS "userId", event_id AS "eventId",
	event_type AS "eventType", status, attempts, response_status AS "responseStatus", error, created_at AS "createdAt",
	updated_at AS "updatedAt"`;

const bytes = (value: Uint8Array): Buffer => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

export function createPostgresWebhookRepository({ pool }: PostgresRepositoryDependencies): WebhookRepository {
	return {
		async create(record) {
			await pool.query(
				`INSERT INTO webhooks (id, user_id, url, events, description, secret_ciphertext, secret_iv, secret_auth_tag,
					wrapped_key, master_key_id, enabled, consecutive_failures, disabled_reason, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
				[
					record.id,
					record.userId,
					record.url,
					JSON.stringify(record.events),
					record.description,
					bytes(record.secretCiphertext),
					bytes(record.secretIv),
					bytes(record.secretAuthTag),
					bytes(record.wrappedKey),
					record.masterKeyId,
					record.enabled,
					record.consecutiveFailures,
					record.disabledReason,
					record.createdAt,
					record.updatedAt,
				],
			);
			return record;
		},

		find(userId, id) {
			return queryOne<WebhookRecord>(pool, `SELECT ${webhookColumns} FROM webhooks WHERE user_id = $1 AND id = $2`, [
				userId,
				id,
			]);
		},

		async listByUser(userId) {
			const { rows } = await pool.query<WebhookRecord>(
				`SELECT ${webhookColumns} FROM webhooks WHERE user_id = $1 ORDER BY created_at, id`,
				[userId],
			);
			return rows;
		},

		async delete(userId, id) {
			// The delivery log goes with it (ON DELETE CASCADE).
			const deleted = await pool.query("DELETE FROM webhooks WHERE user_id = $1 AND id = $2", [userId, id]);
			return deleted.rowCount === 1;
		},

		recordOutcome(userId, id, outcome) {
			if (outcome.succeeded) {
				return queryOne<WebhookRecord>(
					pool,
					`UPDATE webhooks SET consecutive_failures = 0, updated_at = $1 WHERE user_id = $2 AND id = $3
					RETURNING ${webhookColumns}`,
					[outcome.at, userId, id],
				);
			}
			// PostgreSQL evaluates every SET expression against the row as it was, so the CASEs see the old count.
			return queryOne<WebhookRecord>(
				pool,
				`UPDATE webhooks SET consecutive_failures = consecutive_failures + 1,
					enabled = CASE WHEN consecutive_failures + 1 >= $1 THEN false ELSE enabled END,
					disabled_reason = CASE WHEN consecutive_failures + 1 >= $1 AND enabled THEN $2 ELSE disabled_reason END,
					updated_at = $3
				WHERE user_id = $4 AND id = $5
				RETURNING ${webhookColumns}`,
				[outcome.disableAfter, outcome.disabledReason, outcome.at, userId, id],
			);
		},

		async listWrappedWithOtherKey(masterKeyId, afterId, limit) {
			// "" sorts before every id ("C" collation, as SQLite orders), so no position means from the start.
			const { rows } = await pool.query<WebhookRecord>(
				`SELECT ${webhookColumns} FROM webhooks WHERE master_key_id <> $1 AND id > $2 ORDER BY id LIMIT $3`,
				[masterKeyId, afterId ?? "", limit],
			);
			return rows;
		},

		async rewrap(change) {
			const changed = await pool.query(
				`UPDATE webhooks SET wrapped_key = $1, master_key_id = $2
				WHERE user_id = $3 AND id = $4 AND master_key_id = $5`,
				[bytes(change.wrappedKey), change.masterKeyId, change.userId, change.id, change.expectedMasterKeyId],
			);
			return changed.rowCount === 1;
		},

		async createDelivery(record) {
			// Nothing is written for a webhook the user does not own.
			await pool.query(
				`INSERT INTO webhook_deliveries (id, webhook_id, user_id, event_id, event_type, status, attempts,
					response_status, error, created_at, updated_at)
				SELECT $1, id, user_id, $2, $3, $4, $5, $6, $7, $8, $9 FROM webhooks WHERE user_id = $10 AND id = $11`,
				[
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
				],
			);
		},

		async updateDelivery(userId, id, update) {
			await pool.query(
				`UPDATE webhook_deliveries SET status = $1, attempts = $2, response_status = $3, error = $4, updated_at = $5
				WHERE user_id = $6 AND id = $7`,
				[update.status, update.attempts, update.responseStatus, update.error, update.updatedAt, userId, id],
			);
		},

		async listDeliveries(userId, webhookId, limit) {
			const { rows } = await pool.query<WebhookDeliveryRecord>(
				`SELECT ${deliveryColumns} FROM webhook_deliveries WHERE user_id = $1 AND webhook_id = $2
				ORDER BY id DESC LIMIT $3`,
				[userId, webhookId, limit],
			);
			return rows;
		},
	};
}
