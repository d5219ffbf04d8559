import type { ConsumeOutcome, RefreshTokenRecord, RefreshTokenRepository } from "../store-port.js";
import { withConflictsMapped } from "./postgres-conflicts.js";
import { type PostgresRepositoryDependencies, queryOne } from "./postgres-repository-support.js";

const refreshTokenColumns = `id, user_id AS "userId", family_id AS "familyId", token_hash AS "tokenHash",
	created_at AS "createdAt", expires_at AS "expiresAt", used_at AS "usedAt", revoked_at AS "revokedAt"`;

export function createPostgresRefreshTokenRepository({ pool }: PostgresRepositoryDependencies): RefreshTokenRepository {
	return {
		async create(token) {
			await withConflictsMapped(() =>
				pool.query(
					`INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at)
					VALUES ($1, $2, $3, $4, $5, $6)`,
					[token.id, token.userId, token.familyId, token.tokenHash, token.createdAt, token.expiresAt],
				),
			);
		},

		findByHash(tokenHash) {
			return queryOne<RefreshTokenRecord>(
				pool,
				`SELECT ${refreshTokenColumns} FROM refresh_tokens WHERE token_hash = $1`,
				[tokenHash],
			);
		},

		async consume(id, at): Promise<ConsumeOutcome> {
			// The conditional UPDATE is the atomic step: a second concurrent UPDATE waits for the row
			// lock, re-checks the WHERE against the committed row, and changes nothing.
			const changed = await pool.query(
				"UPDATE refresh_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL",
				[at, id],
			);
			if (changed.rowCount === 1) return "consumed";
			const state = await queryOne<{ usedAt: number | null; revokedAt: number | null }>(
				pool,
				`SELECT used_at AS "usedAt", revoked_at AS "revokedAt" FROM refresh_tokens WHERE id = $1`,
				[id],
			);
			if (state === undefined) return "missing";
			// A revoked token is dead whether or not it was used before.
			return state.revokedAt !== null ? "revoked" : "already-used";
		},

		async revokeFamily(familyId, at) {
			// `revoked_at IS NULL` keeps the time of the first revocation, the one worth auditing.
			await pool.query("UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL", [
				at,
				familyId,
			]);
		},

		async revokeAllForUser(userId, at) {
			await pool.query("UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL", [
				at,
				userId,
			]);
		},
	};
}
