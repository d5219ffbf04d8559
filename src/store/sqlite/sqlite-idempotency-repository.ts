import type { ClaimOutcome, IdempotencyRepository, StoredResponse } from "../idempotency-port.js";
import { preparedOnFirstUse, type SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

interface IdempotencyRow {
	fingerprint: string;
	status: number | null;
	headers: string | null;
	body: string | null;
	lockedUntil: number;
	expiresAt: number;
}

export function createSqliteIdempotencyRepository({
	database,
	writeQueue,
}: SqliteRepositoryDependencies): IdempotencyRepository {
	const statements = preparedOnFirstUse(() => ({
		find: database.prepare<[string, string], IdempotencyRow>(
			`SELECT fingerprint, status, headers, body, locked_until AS lockedUntil, expires_at AS expiresAt
			FROM idempotency_records WHERE owner_id = ? AND key = ?`,
		),
		// Replaces the row only when it is dead: expired, or an unfinished claim past its lock.
		claim: database.prepare<[string, string, string, number, number, number, number]>(
			`INSERT INTO idempotency_records (owner_id, key, fingerprint, locked_until, expires_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (owner_id, key) DO UPDATE SET
				fingerprint = excluded.fingerprint, status = NULL, headers = NULL, body = NULL,
				locked_until = excluded.locked_until, expires_at = excluded.expires_at
			WHERE idempotency_records.expires_at <= ?
				OR (idempotency_records.status IS NULL AND idempotency_records.locked_until <= ?)`,
		),
		complete: database.prepare<[number, string, string, number, string, string]>(
			`UPDATE idempotency_records SET status = ?, headers = ?, body = ?, expires_at = ?
			WHERE owner_id = ? AND key = ? AND status IS NULL`,
		),
		release: database.prepare<[string, string]>(
			"DELETE FROM idempotency_records WHERE owner_id = ? AND key = ? AND status IS NULL",
		),
		purge: database.prepare<[number]>("DELETE FROM idempotency_records WHERE expires_at <= ?"),
	}));

	return {
		claim({ ownerId, key, fingerprint, now, lockedUntil }) {
			return writeQueue.run((): ClaimOutcome => {
				// Until completed, a claim lives as long as its lock.
				const changed = statements().claim.run(ownerId, key, fingerprint, lockedUntil, lockedUntil, now, now).changes;
				if (changed === 1) return { state: "claimed" };
				const row = statements().find.get(ownerId, key);
				if (row === undefined) return { state: "claimed" };
				if (row.fingerprint !== fingerprint) return { state: "mismatch" };
				if (row.status === null) return { state: "in-progress", lockedUntil: row.lockedUntil };
				return { state: "completed", response: toResponse(row) };
			});
		},

		complete(ownerId, key, response, expiresAt) {
			return writeQueue.run(() => {
				statements().complete.run(
					response.status,
					JSON.stringify(response.headers),
					response.body,
					expiresAt,
					ownerId,
					key,
				);
			});
		},

		release(ownerId, key) {
			return writeQueue.run(() => {
				statements().release.run(ownerId, key);
			});
		},

		purgeExpired(now) {
			return writeQueue.run(() => statements().purge.run(now).changes);
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
