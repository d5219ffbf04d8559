import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Async questions and the embedded queue's jobs (0009). PostgreSQL needs the same two tables
 * (store/postgres), with the same indexes.
 */
export const questionsMigration: Migration = {
	async up(database: Kysely<unknown>) {
		await sql`CREATE TABLE questions (
			id TEXT PRIMARY KEY,
			user_id TEXT NOT NULL,
			session_id TEXT NOT NULL,
			question TEXT NOT NULL,
			requested_model TEXT,
			rag INTEGER NOT NULL CHECK (rag IN (0, 1)),
			status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'answered', 'failed')),
			model TEXT,
			answer TEXT,
			interaction_id TEXT,
			usage TEXT,
			citations TEXT,
			error_code TEXT,
			error_detail TEXT,
			attempts INTEGER NOT NULL,
			claim_token TEXT,
			dead_lettered_at INTEGER,
			request_id TEXT,
			created_at INTEGER NOT NULL,
			updated_at INTEGER NOT NULL,
			finished_at INTEGER
		) WITHOUT ROWID, STRICT`.execute(database);
		// The caller's list (newest first) with its cursor seek; session and status filter on top.
		await sql`CREATE INDEX questions_user_created ON questions (user_id, created_at DESC, id DESC)`.execute(database);
		await sql`CREATE INDEX questions_user_session_created
			ON questions (user_id, session_id, created_at DESC, id DESC)`.execute(database);
		await sql`CREATE INDEX questions_dead_lettered ON questions (dead_lettered_at DESC, id DESC)
			WHERE dead_lettered_at IS NOT NULL`.execute(database);

		// A job is deleted once done; what remains is waiting, delayed, active (leased) or dead.
		await sql`CREATE TABLE jobs (
			id TEXT PRIMARY KEY,
			queue TEXT NOT NULL,
			data TEXT NOT NULL,
			attempts INTEGER NOT NULL,
			max_attempts INTEGER NOT NULL,
			available_at INTEGER NOT NULL,
			lease_token TEXT,
			locked_until INTEGER,
			dead_lettered INTEGER NOT NULL CHECK (dead_lettered IN (0, 1)),
			last_error TEXT,
			created_at INTEGER NOT NULL
		) WITHOUT ROWID, STRICT`.execute(database);
		// "Due" means available and not leased, or leased past its lock: coalesce makes one key of both.
		await sql`CREATE INDEX jobs_due ON jobs (queue, coalesce(locked_until, available_at))
			WHERE dead_lettered = 0`.execute(database);
	},
};
