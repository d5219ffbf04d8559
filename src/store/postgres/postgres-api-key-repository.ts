import type { ApiKeyRecord, ApiKeyRepository } from "../store-port.js";
import { withConflictsMapped } from "./postgres-conflicts.js";
import { type PostgresRepositoryDependencies, queryOne } from "./postgres-repository-support.js";

const apiKeyColumns = `id, user_id AS "userId", name, prefix, last_four AS "lastFour", key_hash AS "keyHash",
	created_at AS "createdAt", expires_at AS "expiresAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

export function createPostgresApiKeyRepository({ pool }: PostgresRepositoryDependencies): ApiKeyRepository {
	return {
		async create(key) {
			await withConflictsMapped(() =>
				pool.query(
					`INSERT INTO api_keys (id, user_id, name, prefix, last_four, key_hash, created_at, expires_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
					[key.id, key.userId, key.name, key.prefix, key.lastFour, key.keyHash, key.createdAt, key.expiresAt],
				),
			);
		},

		findByHash(keyHash) {
			return queryOne<ApiKeyRecord>(pool, `SELECT ${apiKeyColumns} FROM api_keys WHERE key_hash = $1`, [keyHash]);
		},

		async listByUser(userId) {
			const { rows } = await pool.query<ApiKeyRecord>(
				`SELECT ${apiKeyColumns} FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL
				ORDER BY created_at DESC, id DESC`,
				[userId],
			);
			return rows;
		},

		async revoke(userId, id, at) {
			const changed = await pool.query(
				"UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
				[at, id, userId],
			);
			return changed.rowCount === 1;
		},

		async touch(id, at) {
			// Only moves forward: concurrent requests may report their use out of order, and an
			// unchanged row costs no write.
			await pool.query(
				"UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
				[at, id],
			);
		},
	};
}
