import type { Database } from "better-sqlite3";
import type { WriteQueue } from "./sqlite-write-queue.js";

/** What every SQLite repository needs: the connection for reads, the queue for writes. */
export interface SqliteRepositoryDependencies {
	database: Database;
	writeQueue: WriteQueue;
}

/**
 * Prepares a repository's statements once, on first use rather than at construction, because
 * the tables may not exist until `migrate()` has run.
 */
export function preparedOnFirstUse<T>(prepare: () => T): () => T {
	let prepared: T | undefined;
	return () => {
		prepared ??= prepare();
		return prepared;
	};
}
