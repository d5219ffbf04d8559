import type { ConsumeOutcome, RefreshTokenRecord, RefreshTokenRepository } from "../store-port.js";
import { withConflictsMapped } from "./sqlite-conflicts.js";
import { preparedOnFirstUse, type SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

const refreshTokenColumns = `id, user_id AS userId, family_id AS familyId, token_hash AS tokenHash,
	created_at AS createdAt, expires_at AS expiresAt, used_at AS usedAt, revoked_at AS revokedAt`;

export function createSqliteRefreshTokenRepository({
	database,
	writeQueue,
}: SqliteRepositoryDependencies): RefreshTokenRepository {
	const statements = preparedOnFirstUse(() => ({
		insert: database.prepare<[string, string, string, string, number, number]>(
			`INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`,
		),
		findByHash: database.prepare<[string], RefreshTokenRecord>(
			`SELECT ${refreshTokenColumns} FROM refresh_tokens WHERE token_hash = ?`,
		),
		markUsed: database.prepare<[number, string]>(
			"UPDATE refresh_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL",
		),
		findState: database.prepare<[string], Pick<RefreshTokenRecord, "usedAt" | "revokedAt">>(
			"SELECT used_at AS usedAt, revoked_at AS revokedAt FROM refresh_tokens WHERE id = ?",
		),
		// `revoked_at IS NULL` keeps the time of the first revocation, the one worth auditing.
		revokeFamily: database.prepare<[number, string]>(
			"UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
		),
		revokeAllForUser: database.prepare<[number, string]>(
			"UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
		),
	}));

	return {
		create(token) {
			return writeQueue.run(() => {
				withConflictsMapped(() =>
					statements().insert.run(
						token.id,
						token.userId,
						token.familyId,
						token.tokenHash,
						token.createdAt,
						token.expiresAt,
					),
				);
			});
		},

		async findByHash(tokenHash) {
			return statements().findByHash.get(tokenHash);
		},

		consume(id, at) {
			// The conditional UPDATE is the atomic step: units of work run one after another, and
			// across processes SQLite's write lock serializes them, so only one caller changes the row.
			return writeQueue.run((): ConsumeOutcome => {
				if (statements().markUsed.run(at, id).changes === 1) {
					return "consumed";
				}
				const state = statements().findState.get(id);
				if (state === undefined) {
					return "missing";
				}
				// A revoked token is dead whether or not it was used before.
				return state.revokedAt !== null ? "revoked" : "already-used";
			});
		},

		revokeFamily(familyId, at) {
			return writeQueue.run(() => {
				statements().revokeFamily.run(at, familyId);
			});
		},

		revokeAllForUser(userId, at) {
			return writeQueue.run(() => {
				statements().revokeAllForUser.run(at, userId);
			});
		},
	};
}
