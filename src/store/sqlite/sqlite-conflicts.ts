import SqliteDatabase from "better-sqlite3";
import { StoreConflictError } from "../store-port.js";

type ConflictField = StoreConflictError["field"];

/**
 * Turns a SQLite uniqueness violation into the port's StoreConflictError. `fieldsByMarker` maps
 * a fragment of SQLite's message (an index name for expression indexes, `table.column`
 * otherwise) to the field reported. Anything else is returned unchanged.
 */
export function toConflictError(error: unknown, fieldsByMarker: Readonly<Record<string, ConflictField>> = {}): unknown {
	if (!(error instanceof SqliteDatabase.SqliteError)) {
		return error;
	}
	if (error.code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
		return new StoreConflictError("id");
	}
	if (error.code === "SQLITE_CONSTRAINT_UNIQUE") {
		for (const [marker, field] of Object.entries(fieldsByMarker)) {
			if (error.message.includes(marker)) {
				return new StoreConflictError(field);
			}
		}
	}
	return error;
}

/** Runs `write`, rethrowing a uniqueness violation as StoreConflictError. */
export function withConflictsMapped<T>(write: () => T, fieldsByMarker?: Readonly<Record<string, ConflictField>>): T {
	try {
		return write();
	} catch (error) {
		throw toConflictError(error, fieldsByMarker);
	}
}
