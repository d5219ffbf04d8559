import { mkdirSync } from "node:fs";
import path from "node:path";

export interface SqliteConfig {
	/** An absolute file path, or ":memory:" for a private in-memory database. */
	filename: string;
}

const memoryFilename = ":memory:";

/**
 * Reads a `sqlite:` DATABASE_URL. Accepted forms:
 * - `sqlite:./data/parley.db`, `sqlite:data/parley.db` — relative to the working directory
 * - `sqlite:/abs/path.db`, `sqlite:///abs/path.db` — absolute
 * - `sqlite://data/parley.db` — relative (there is no host in a file URL worth honouring)
 * - `sqlite::memory:`, `sqlite://:memory:` — in memory, gone when the process exits
 * The path is taken literally (no percent-decoding, no query string), so any file name works.
 */
export function parseSqliteUrl(databaseUrl: string): SqliteConfig {
	const match = /^sqlite:(.*)$/is.exec(databaseUrl.trim());
	if (!match) {
		throw new Error('DATABASE_URL for SQLite must start with "sqlite:", e.g. sqlite:./data/parley.db');
	}
	let location = match[1]!;
	if (location.startsWith("//")) {
		// `sqlite:///abs` keeps its third slash (absolute); `sqlite://rel` loses both (relative).
		location = location.slice(2);
	}
	if (location === memoryFilename) {
		return { filename: memoryFilename };
	}
	if (location === "") {
		throw new Error("DATABASE_URL names no SQLite file, e.g. sqlite:./data/parley.db");
	}
	return { filename: path.resolve(location) };
}

/** Creates the directory that will hold the database file, so a fresh checkout starts without setup. */
export function ensureDatabaseDirectory(filename: string): void {
	if (filename === memoryFilename || filename === "") {
		return;
	}
	mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
}
