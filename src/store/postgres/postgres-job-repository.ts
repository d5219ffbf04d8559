import type { JobRecord, JobRepository } from "../question-port.js";
import { type PostgresRepositoryDependencies, queryOne } from "./postgres-repository-support.js";

const jobColumns = `jobs.id, jobs.queue, jobs.data, jobs.attempts, jobs.max_attempts AS "maxAttempts",
	jobs.lease_token AS "leaseToken", jobs.locked_until AS "lockedUntil", jobs.dead_lettered AS "deadLettered",
	jobs.last_error AS "lastError", jobs.created_at AS "createdAt"`;

/** Due: waiting past its backoff, or leased by a holder whose lease ran out (it died). */
const dueAt = "coalesce(locked_until, available_at)";

type TakenRow = JobRecord & { dueAt: number };

export function createPostgresJobRepository({ pool }: PostgresRepositoryDependencies): JobRepository {
	/** One conditional write on a job still held under `leaseToken`. */
	const whileLeased = async (text: string, values: unknown[]) => (await pool.query(text, values)).rowCount === 1;

	return {
		async add(job) {
			const added = await pool.query(
				`INSERT INTO jobs (id, queue, data, attempts, max_attempts, available_at, dead_lettered, created_at)
				VALUES ($1, $2, $3, 0, $4, $5, false, $5) ON CONFLICT (id) DO NOTHING`,
				[job.id, job.queue, JSON.stringify(job.data), job.maxAttempts, job.at],
			);
			return added.rowCount === 1;
		},

		async take(queue, options) {
			// One statement: the due rows are locked as they are picked, and rows another worker is
			// leasing right now are skipped rather than waited for, so no job is leased twice. A job
			// that already used every attempt is dead-lettered in the same update (its attempt count
			// stays as it was).
			const { rows } = await pool.query<TakenRow>(
				`WITH due AS (
					SELECT id, ${dueAt} AS due_at FROM jobs
					WHERE queue = $1 AND NOT dead_lettered AND ${dueAt} <= $2
					ORDER BY ${dueAt}, id LIMIT $3
					FOR UPDATE SKIP LOCKED
				)
				UPDATE jobs SET
					dead_lettered = jobs.attempts >= jobs.max_attempts,
					attempts = CASE WHEN jobs.attempts >= jobs.max_attempts THEN jobs.attempts ELSE jobs.attempts + 1 END,
					lease_token = CASE WHEN jobs.attempts >= jobs.max_attempts THEN NULL ELSE $4 END,
					locked_until = CASE WHEN jobs.attempts >= jobs.max_attempts THEN NULL ELSE $5::bigint END,
					last_error = CASE WHEN jobs.attempts >= jobs.max_attempts
						THEN 'gave up after ' || jobs.attempts || ' deliveries that never finished'
						ELSE jobs.last_error END
				FROM due WHERE jobs.id = due.id
				RETURNING ${jobColumns}, due.due_at AS "dueAt"`,
				[queue, options.at, options.limit, options.leaseToken, options.lockedUntil],
			);
			// RETURNING has no order; hand them back in due order, as they were picked.
			rows.sort((left, right) => left.dueAt - right.dueAt || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
			const taken: JobRecord[] = [];
			const exhausted: JobRecord[] = [];
			for (const { dueAt: _dueAt, ...job } of rows) {
				(job.deadLettered ? exhausted : taken).push(job);
			}
			return { taken, exhausted };
		},

		extend(id, leaseToken, lockedUntil) {
			return whileLeased("UPDATE jobs SET locked_until = $1 WHERE id = $2 AND lease_token = $3", [
				lockedUntil,
				id,
				leaseToken,
			]);
		},

		complete(id, leaseToken) {
			return whileLeased("DELETE FROM jobs WHERE id = $1 AND lease_token = $2", [id, leaseToken]);
		},

		retryLater(id, leaseToken, availableAt, error) {
			return whileLeased(
				`UPDATE jobs SET available_at = $1, last_error = $2, lease_token = NULL, locked_until = NULL
				WHERE id = $3 AND lease_token = $4`,
				[availableAt, error, id, leaseToken],
			);
		},

		deadLetter(id, leaseToken, error) {
			return whileLeased(
				`UPDATE jobs SET dead_lettered = true, last_error = $1, lease_token = NULL, locked_until = NULL
				WHERE id = $2 AND lease_token = $3`,
				[error, id, leaseToken],
			);
		},

		async nextDueAt(queue) {
			const row = await queryOne<{ at: number | null }>(
				pool,
				`SELECT min(${dueAt}) AS at FROM jobs WHERE queue = $1 AND NOT dead_lettered`,
				[queue],
			);
			return row?.at ?? undefined;
		},

		async counts(queue, at) {
			const row = await queryOne<{ waiting: number; active: number; dead: number }>(
				pool,
				`SELECT
					count(*) FILTER (WHERE NOT dead_lettered AND (lease_token IS NULL OR locked_until <= $1)) AS waiting,
					count(*) FILTER (WHERE NOT dead_lettered AND lease_token IS NOT NULL AND locked_until > $1) AS active,
					count(*) FILTER (WHERE dead_lettered) AS dead
				FROM jobs WHERE queue = $2`,
				[at, queue],
			);
			return { waiting: row?.waiting ?? 0, active: row?.active ?? 0, deadLettered: row?.dead ?? 0 };
		},
	};
}
