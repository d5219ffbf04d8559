import type { JobRecord, JobRepository } from "../question-port.js";
import { preparedOnFirstUse, type SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

interface JobRow {
	id: string;
	queue: string;
	data: string;
	attempts: number;
	max_attempts: number;
	lease_token: string | null;
	locked_until: number | null;
	dead_lettered: number;
	last_error: string | null;
	created_at: number;
}

/** Due: waiting past its backoff, or leased by a holder whose lease ran out (it died). */
const due = "queue = ? AND dead_lettered = 0 AND coalesce(locked_until, available_at) <= ?";

export function createSqliteJobRepository({ database, writeQueue }: SqliteRepositoryDependencies): JobRepository {
	const statements = preparedOnFirstUse(() => ({
		add: database.prepare<unknown[]>(
			`INSERT INTO jobs (id, queue, data, attempts, max_attempts, available_at, dead_lettered, created_at)
			VALUES (?, ?, ?, 0, ?, ?, 0, ?) ON CONFLICT (id) DO NOTHING`,
		),
		due: database.prepare<[string, number, number], JobRow>(
			`SELECT * FROM jobs WHERE ${due} ORDER BY coalesce(locked_until, available_at), id LIMIT ?`,
		),
		lease: database.prepare<[string, number, string]>(
			"UPDATE jobs SET attempts = attempts + 1, lease_token = ?, locked_until = ? WHERE id = ?",
		),
		exhaust: database.prepare<[string, string]>(
			"UPDATE jobs SET dead_lettered = 1, lease_token = NULL, locked_until = NULL, last_error = ? WHERE id = ?",
		),
		extend: database.prepare<[number, string, string]>(
			"UPDATE jobs SET locked_until = ? WHERE id = ? AND lease_token = ?",
		),
		complete: database.prepare<[string, string]>("DELETE FROM jobs WHERE id = ? AND lease_token = ?"),
		retryLater: database.prepare<[number, string, string, string]>(
			`UPDATE jobs SET available_at = ?, last_error = ?, lease_token = NULL, locked_until = NULL
			WHERE id = ? AND lease_token = ?`,
		),
		deadLetter: database.prepare<[string, string, string]>(
			`UPDATE jobs SET dead_lettered = 1, last_error = ?, lease_token = NULL, locked_until = NULL
			WHERE id = ? AND lease_token = ?`,
		),
		nextDue: database.prepare<[string], { at: number | null }>(
			"SELECT min(coalesce(locked_until, available_at)) AS at FROM jobs WHERE queue = ? AND dead_lettered = 0",
		),
		counts: database.prepare<[number, number, string], { waiting: number; active: number; dead: number }>(
			`SELECT
				coalesce(sum(dead_lettered = 0 AND (lease_token IS NULL OR locked_until <= ?)), 0) AS waiting,
				coalesce(sum(dead_lettered = 0 AND lease_token IS NOT NULL AND locked_until > ?), 0) AS active,
				coalesce(sum(dead_lettered = 1), 0) AS dead
			FROM jobs WHERE queue = ?`,
		),
	}));

	return {
		add(job) {
			return writeQueue.run(
				() =>
					statements().add.run(job.id, job.queue, JSON.stringify(job.data), job.maxAttempts, job.at, job.at).changes ===
					1,
				{ singleStatement: true },
			);
		},

		take(queue, options) {
			// Select and lease in one unit of the write transaction: two processes sharing the file
			// serialize on SQLite's write lock, so a job is never leased twice.
			return writeQueue.run(() => {
				const taken: JobRecord[] = [];
				const exhausted: JobRecord[] = [];
				for (const row of statements().due.all(queue, options.at, options.limit)) {
					if (row.attempts >= row.max_attempts) {
						const error = `gave up after ${row.attempts} deliveries that never finished`;
						statements().exhaust.run(error, row.id);
						exhausted.push(
							toJob({ ...row, dead_lettered: 1, last_error: error, lease_token: null, locked_until: null }),
						);
						continue;
					}
					statements().lease.run(options.leaseToken, options.lockedUntil, row.id);
					taken.push(
						toJob({
							...row,
							attempts: row.attempts + 1,
							lease_token: options.leaseToken,
							locked_until: options.lockedUntil,
						}),
					);
				}
				return { taken, exhausted };
			});
		},

		extend(id, leaseToken, lockedUntil) {
			return writeQueue.run(() => statements().extend.run(lockedUntil, id, leaseToken).changes === 1, {
				singleStatement: true,
			});
		},

		complete(id, leaseToken) {
			return writeQueue.run(() => statements().complete.run(id, leaseToken).changes === 1, { singleStatement: true });
		},

		retryLater(id, leaseToken, availableAt, error) {
			return writeQueue.run(() => statements().retryLater.run(availableAt, error, id, leaseToken).changes === 1, {
				singleStatement: true,
			});
		},

		deadLetter(id, leaseToken, error) {
			return writeQueue.run(() => statements().deadLetter.run(error, id, leaseToken).changes === 1, {
				singleStatement: true,
			});
		},

		async nextDueAt(queue) {
			return statements().nextDue.get(queue)?.at ?? undefined;
		},

		async counts(queue, at) {
			const row = statements().counts.get(at, at, queue)!;
			return { waiting: row.waiting, active: row.active, deadLettered: row.dead };
		},
	};
}

function toJob(row: JobRow): JobRecord {
	return {
		id: row.id,
		queue: row.queue,
		data: JSON.parse(row.data) as Record<string, string>,
		attempts: row.attempts,
		maxAttempts: row.max_attempts,
		leaseToken: row.lease_token,
		lockedUntil: row.locked_until,
		deadLettered: row.dead_lettered === 1,
		lastError: row.last_error,
		createdAt: row.created_at,
	};
}
