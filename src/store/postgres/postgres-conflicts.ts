import { StoreConflictError } from "../store-port.js";

type ConflictField = StoreConflictError["field"];

const uniqueViolation = "23505";

interface PostgresError {
	code?: unknown;
	constraint?: unknown;
}

/**
 * Turns a PostgreSQL uniqueness violation (SQLSTATE 23505) into the port's StoreConflictError.
 * `fieldsByConstraint` maps constraint or index names to the field reported; a primary key
 * (`<table>_pkey`) is "id". Anything else is returned unchanged.
 */
export function toConflictError(
	error: unknown,
	fieldsByConstraint: Readonly<Record<string, ConflictField>> = {},
): unknown {
	const { code, constraint } = (error ?? {}) as PostgresError;
	if (code !== uniqueViolation || typeof constraint !== "string") return error;
	const field = fieldsByConstraint[constraint];
	if (field !== undefined) return new StoreConflictError(field);
	if (constraint.endsWith("_pkey")) return new StoreConflictError("id");
	return error;
}

/** Runs `write`, rethrowing a uniqueness violation as StoreConflictError. */
export async function withConflictsMapped<T>(
	write: () => Promise<T>,
	fieldsByConstraint?: Readonly<Record<string, ConflictField>>,
): Promise<T> {
	try {
		return await write();
	} catch (error) {
		throw toConflictError(error, fieldsByConstraint);
	}
}
