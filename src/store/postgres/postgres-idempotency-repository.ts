import type { ClaimOutcome, IdempotencyRepository, StoredResponse } from "../idempotency-port.js";
import { type PostgresRepositoryDependencies, queryOne } from "./postgres-repository-support.js";

interface IdempotencyRow {
	fingerprint: string;
	status: number | null;
	headers: string | null;
	body: string | null;
	lockedUntil: number;
}

/** Rounds of claim-then-read before giving up; a round is lost only when the row vanishes in between. */
const claimAttempts = 5;

export function createPostgresIdempotencyRepository({ pool }: PostgresRepositoryDependencies): IdempotencyRepository {
	return {
		async claim({ ownerId, key, fingerprint, now, lockedUntil }) {
			for (let attempt = 0; attempt < claimAttempts; attempt++) {
				// Inserts, or replaces the row only when it is dead: expired, or an unfinished claim past
				// its lock. Concurrent claims serialize on the row; exactly one sees RETURNING produce a row.
				// Until completed, a claim lives as long as its lock.
				const claimed = await pool.query(
					`INSERT INTO idempotency_records (owner_id, key, fingerprint, locked_until, expires_at)
					VALUES ($1, $2, $3, $4, $4)
					ON CONFLICT (owner_id, key) DO UPDATE SET
						fingerprint = excluded.fingerprint, status = NULL, headers = NULL, body = NULL,
						locked_until = excluded.locked_until, expires_at = excluded.expires_at
					WHERE idempotency_records.expires_at <= $5
						OR (idempotency_records.status IS NULL AND idempotency_records.locked_until <= $5)
					RETURNING 1`,
					[ownerId, key, fingerprint, lockedUntil, now],
				);
				if (claimed.rowCount === 1) return { state: "claimed" };
				const row = await queryOne<IdempotencyRow>(
					pool,
					`SELECT fingerprint, status, headers, body, locked_until AS "lockedUntil"
					FROM idempotency_records WHERE owner_id = $1 AND key = $2`,
					[ownerId, key],
				);
				// Released or purged between the two statements: claim again.
				if (row === undefined) continue;
				if (row.fingerprint !== fingerprint) return { state: "mismatch" };
				if (row.status === null) return { state: "in-progress", lockedUntil: row.lockedUntil };
				return { state: "completed", response: toResponse(row) } satisfies ClaimOutcome;
			}
			throw new Error("idempotency claim kept losing its record to concurrent releases");
		},

		async complete(ownerId, key, response, expiresAt) {
			await pool.query(
				`UPDATE idempotency_records SET status = $1, headers = $2, body = $3, expires_at = $4
				WHERE owner_id = $5 AND key = $6 AND status IS NULL`,
				[response.status, JSON.stringify(response.headers), response.body, expiresAt, ownerId, key],
			);
		},

		async release(ownerId, key) {
			await pool.query("DELETE FROM idempotency_records WHERE owner_id = $1 AND key = $2 AND status IS NULL", [
				ownerId,
				key,
			]);
		},

		async purgeExpired(now) {
			return (await pool.query("DELETE FROM idempotency_records WHERE expires_at <= $1", [now])).rowCount ?? 0;
		},
	};
}

function toResponse(row: IdempotencyRow): StoredResponse {
	return {
		status: row.status ?? 200,
		headers: row.headers === null ? {} : (JSON.parse(row.headers) as Record<string, string>),
		body: row.body ?? "",
	};
}
