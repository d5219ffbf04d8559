import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Async questions and the embedded queue's jobs. Registered in postgres-migrations.ts as
 * "0009_questions": the same tables and indexes as sqlite-question-migrations.ts.
 */
export const questionsMigration: Migration = {
	async up(database: Kysely<unknown>) {
		await sql`CREATE TABLE questions (
			id text COLLATE "C" PRIMARY KEY,
			user_id text COLLATE "C" NOT NULL,
			session_id text COLLATE "C" NOT NULL,
			question text NOT NULL,
			requested_model text,
			rag boolean NOT NULL,
			status text NOT NULL CHECK (status IN ('pending', 'processing', 'answered', 'failed')),
			model text,
			answer text,
			interaction_id text,
			usage jsonb,
			citations jsonb,
			error_code text,
			error_detail text,
			attempts integer NOT NULL,
			claim_token text,
			dead_lettered_at bigint,
			request_id text,
			created_at bigint NOT NULL,
			updated_at bigint NOT NULL,
			finished_at bigint
		)`.execute(database);
		// The caller's list (newest first) with its cursor seek; session and status filter on top.
		await sql`CREATE INDEX questions_user_created ON questions (user_id, created_at DESC, id DESC)`.execute(database);
		await sql`CREATE INDEX questions_user_session_created
			ON questions (user_id, session_id, created_at DESC, id DESC)`.execute(database);
		await sql`CREATE INDEX questions_dead_lettered ON questions (dead_lettered_at DESC, id DESC)
			WHERE dead_lettered_at IS NOT NULL`.execute(database);

		// A job is deleted once done; what remains is waiting, delayed, active (leased) or dead.
		await sql`CREATE TABLE jobs (
			id text COLLATE "C" PRIMARY KEY,
			queue text COLLATE "C" NOT NULL,
			data jsonb NOT NULL,
			attempts integer NOT NULL,
			max_attempts integer NOT NULL,
			available_at bigint NOT NULL,
			lease_token text,
			locked_until bigint,
			dead_lettered boolean NOT NULL,
			last_error text,
			created_at bigint NOT NULL
		)`.execute(database);
		// "Due" means available and not leased, or leased past its lock: coalesce makes one key of both.
		await sql`CREATE INDEX jobs_due ON jobs (queue, coalesce(locked_until, available_at), id)
			WHERE NOT dead_lettered`.execute(database);
	},
};
