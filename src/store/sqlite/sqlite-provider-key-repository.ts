import type { ProviderKeyRecord, ProviderKeyRepository } from "../provider-key-port.js";
import { preparedOnFirstUse, type SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

const columns = `user_id AS userId, provider, ciphertext, iv, auth_tag AS authTag, wrapped_key AS wrappedKey,
	master_key_id AS masterKeyId, last_four AS lastFour, base_url AS baseUrl, created_at AS createdAt,
	updated_at AS updatedAt`;

type Row = Omit<ProviderKeyRecord, "ciphertext" | "iv" | "authTag" | "wrappedKey"> & {
	ciphertext: Buffer;
	iv: Buffer;
	authTag: Buffer;
	wrappedKey: Buffer;
};

const blob = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function createSqliteProviderKeyRepository({
	database,
	writeQueue,
}: SqliteRepositoryDependencies): ProviderKeyRepository {
	const statements = preparedOnFirstUse(() => ({
		upsert: database.prepare<
			[string, string, Buffer, Buffer, Buffer, Buffer, string, string, string | null, number, number],
			Row
		>(
			`INSERT INTO provider_keys (user_id, provider, ciphertext, iv, auth_tag, wrapped_key, master_key_id, last_four,
				base_url, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_id, provider) DO UPDATE SET ciphertext = excluded.ciphertext, iv = excluded.iv,
				auth_tag = excluded.auth_tag, wrapped_key = excluded.wrapped_key, master_key_id = excluded.master_key_id,
				last_four = excluded.last_four, base_url = excluded.base_url, updated_at = excluded.updated_at
			RETURNING ${columns}`,
		),
		find: database.prepare<[string, string], Row>(
			`SELECT ${columns} FROM provider_keys WHERE user_id = ? AND provider = ?`,
		),
		listByUser: database.prepare<[string], Row>(
			`SELECT ${columns} FROM provider_keys WHERE user_id = ? ORDER BY provider`,
		),
		delete: database.prepare<[string, string]>("DELETE FROM provider_keys WHERE user_id = ? AND provider = ?"),
		listOther: database.prepare<[string, string, string, number], Row>(
			`SELECT ${columns} FROM provider_keys WHERE master_key_id <> ? AND (user_id, provider) > (?, ?)
			ORDER BY user_id, provider LIMIT ?`,
		),
		rewrap: database.prepare<[Buffer, string, string, string, string, number]>(
			`UPDATE provider_keys SET wrapped_key = ?, master_key_id = ?
			WHERE user_id = ? AND provider = ? AND master_key_id = ? AND updated_at = ?`,
		),
	}));

	return {
		put(record) {
			return writeQueue.run(() => {
				const stored = statements().upsert.get(
					record.userId,
					record.provider,
					blob(record.ciphertext),
					blob(record.iv),
					blob(record.authTag),
					blob(record.wrappedKey),
					record.masterKeyId,
					record.lastFour,
					record.baseUrl,
					record.createdAt,
					record.updatedAt,
				);
				if (stored === undefined) throw new Error("provider key upsert returned no row");
				return stored;
			});
		},

		async find(userId, provider) {
			return statements().find.get(userId, provider);
		},

		async listByUser(userId) {
			return statements().listByUser.all(userId);
		},

		delete(userId, provider) {
			return writeQueue.run(() => statements().delete.run(userId, provider).changes === 1);
		},

		async listWrappedWithOtherKey(masterKeyId, after, limit) {
			// "" sorts before every id, so no position means from the start.
			return statements().listOther.all(masterKeyId, after?.userId ?? "", after?.provider ?? "", limit);
		},

		rewrap(change) {
			return writeQueue.run(
				() =>
					statements().rewrap.run(
						blob(change.wrappedKey),
						change.masterKeyId,
						change.userId,
						change.provider,
						change.expectedMasterKeyId,
						change.expectedUpdatedAt,
					).changes === 1,
			);
		},
	};
}
