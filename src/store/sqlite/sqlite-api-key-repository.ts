import type { ApiKeyRecord, ApiKeyRepository } from "../store-port.js";
import { withConflictsMapped } from "./sqlite-conflicts.js";
import { preparedOnFirstUse, type SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

const apiKeyColumns = `id, user_id AS userId, name, prefix, last_four AS lastFour, key_hash AS keyHash,
	created_at AS createdAt, expires_at AS expiresAt, last_used_at AS lastUsedAt, revoked_at AS revokedAt`;

export function createSqliteApiKeyRepository({ database, writeQueue }: SqliteRepositoryDependencies): ApiKeyRepository {
	const statements = preparedOnFirstUse(() => ({
		insert: database.prepare<[string, string, string, string, string, string, number, number | null]>(
			`INSERT INTO api_keys (id, user_id, name, prefix, last_four, key_hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		),
		findByHash: database.prepare<[string], ApiKeyRecord>(`SELECT ${apiKeyColumns} FROM api_keys WHERE key_hash = ?`),
		// `+?`: see recentInConversation in sqlite-interaction-repository.ts.
		listByUser: database.prepare<[string], ApiKeyRecord>(
			`SELECT ${apiKeyColumns} FROM api_keys WHERE user_id = +? AND revoked_at IS NULL
			ORDER BY created_at DESC, id DESC`,
		),
		revoke: database.prepare<[number, string, string]>(
			"UPDATE api_keys SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
		),
		// Only moves forward: concurrent requests may report their use out of order, and an
		// unchanged row costs no write.
		touch: database.prepare<[number, string, number]>(
			"UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
		),
	}));

	return {
		create(key) {
			return writeQueue.run(() => {
				withConflictsMapped(() =>
					statements().insert.run(
						key.id,
						key.userId,
						key.name,
						key.prefix,
						key.lastFour,
						key.keyHash,
						key.createdAt,
						key.expiresAt,
					),
				);
			});
		},

		async findByHash(keyHash) {
			return statements().findByHash.get(keyHash);
		},

		async listByUser(userId) {
			return statements().listByUser.all(userId);
		},

		revoke(userId, id, at) {
			return writeQueue.run(() => statements().revoke.run(at, id, userId).changes === 1);
		},

		touch(id, at) {
			return writeQueue.run(() => {
				statements().touch.run(at, id, at);
			});
		},
	};
}
