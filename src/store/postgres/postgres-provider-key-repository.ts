import type { ProviderKeyRecord, ProviderKeyRepository } from "../provider-key-port.js";
import { type PostgresRepositoryDependencies, queryOne } from "./postgres-repository-support.js";

// bytea columns come back as Buffers, which are the port's Uint8Arrays.
const providerKeyColumns = `user_id AS "userId", provider, ciphertext, iv, auth_tag AS "authTag",
	wrapped_key AS "wrappedKey", master_key_id AS "masterKeyId", last_four AS "lastFour", base_url AS "baseUrl",
	created_at AS "createdAt", updated_at AS "updatedAt"`;

const bytes = (value: Uint8Array): Buffer => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

export function createPostgresProviderKeyRepository({ pool }: PostgresRepositoryDependencies): ProviderKeyRepository {
	return {
		async put(record) {
			// One statement: two concurrent PUTs of the same key end with one of them whole, never a mix.
			const stored = await queryOne<ProviderKeyRecord>(
				pool,
				`INSERT INTO provider_keys (user_id, provider, ciphertext, iv, auth_tag, wrapped_key, master_key_id, last_four,
					base_url, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
				ON CONFLICT (user_id, provider) DO UPDATE SET ciphertext = excluded.ciphertext, iv = excluded.iv,
					auth_tag = excluded.auth_tag, wrapped_key = excluded.wrapped_key, master_key_id = excluded.master_key_id,
					last_four = excluded.last_four, base_url = excluded.base_url, updated_at = excluded.updated_at
				RETURNING ${providerKeyColumns}`,
				[
					record.userId,
					record.provider,
					bytes(record.ciphertext),
					bytes(record.iv),
					bytes(record.authTag),
					bytes(record.wrappedKey),
					record.masterKeyId,
					record.lastFour,
					record.baseUrl,
					record.createdAt,
					record.updatedAt,
				],
			);
			if (stored === undefined) throw new Error("provider key upsert returned no row");
			return stored;
		},

		find(userId, provider) {
			return queryOne<ProviderKeyRecord>(
				pool,
				`SELECT ${providerKeyColumns} FROM provider_keys WHERE user_id = $1 AND provider = $2`,
				[userId, provider],
			);
		},

		async listByUser(userId) {
			const { rows } = await pool.query<ProviderKeyRecord>(
				`SELECT ${providerKeyColumns} FROM provider_keys WHERE user_id = $1 ORDER BY provider`,
				[userId],
			);
			return rows;
		},

		async delete(userId, provider) {
			const changed = await pool.query("DELETE FROM provider_keys WHERE user_id = $1 AND provider = $2", [
				userId,
				provider,
			]);
			return changed.rowCount === 1;
		},

		async listWrappedWithOtherKey(masterKeyId, after, limit) {
			// "" sorts before every id (the columns compare bytes), so no position means from the start.
			const { rows } = await pool.query<ProviderKeyRecord>(
				`SELECT ${providerKeyColumns} FROM provider_keys WHERE master_key_id <> $1 AND (user_id, provider) > ($2, $3)
				ORDER BY user_id, provider LIMIT $4`,
				[masterKeyId, after?.userId ?? "", after?.provider ?? "", limit],
			);
			return rows;
		},

		async rewrap(change) {
			const changed = await pool.query(
				`UPDATE provider_keys SET wrapped_key = $1, master_key_id = $2
				WHERE user_id = $3 AND provider = $4 AND master_key_id = $5 AND updated_at = $6`,
				[
					bytes(change.wrappedKey),
					change.masterKeyId,
					change.userId,
					change.provider,
					change.expectedMasterKeyId,
					change.expectedUpdatedAt,
				],
			);
			return changed.rowCount === 1;
		},
	};
}
