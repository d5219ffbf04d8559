/**
 * Reads a `postgres://` or `postgresql://` DATABASE_URL. The URL goes to node-postgres as it is
 * (it understands user, password, host, port, database and `sslmode` parameters); what this adds
 * is the pool size and statement timeout, which come from their own settings, and a description
 * of the target that never contains the password.
 */

export interface PostgresPoolSettings {
	/** Connections per process (DATABASE_POOL_SIZE). */
	size: number;
	/** Statements running longer are cancelled by the server; 0 means no limit (DATABASE_STATEMENT_TIMEOUT_MS). */
	statementTimeoutMs: number;
}

export const defaultPoolSettings: PostgresPoolSettings = { size: 10, statementTimeoutMs: 30_000 };

export function isPostgresUrl(databaseUrl: string): boolean {
	return /^postgres(ql)?:\/\//i.test(databaseUrl.trim());
}

/** `host:port/database` of the URL, for messages and logs: never the user's password. */
export function describePostgresTarget(databaseUrl: string): string {
	try {
		const url = new URL(databaseUrl.trim());
		return `${url.hostname || "localhost"}:${url.port || "5432"}${url.pathname || "/"}`;
	} catch {
		return "an unparseable postgres URL";
	}
}

/** A schema name safe to put in SQL unquoted: the tests give each store its own. */
export function checkSchemaName(schema: string): string {
	if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
		throw new Error(`PostgreSQL schema name ${JSON.stringify(schema)} must be lower-case letters, digits and _`);
	}
	return schema;
}
