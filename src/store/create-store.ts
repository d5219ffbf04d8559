import { parseSqliteUrl } from "./sqlite/sqlite-config.js";
import { createSqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store-port.js";

export interface CreateStoreOptions {
	/** Apply pending migrations on start; default true. The `parley migrate` command passes false and migrates itself. */
	migrate?: boolean;
}

const supportedSchemes = "sqlite: (e.g. sqlite:./data/parley.db or sqlite::memory:)";

/** Opens the store that DATABASE_URL names, choosing the backend by its scheme. */
export async function createStore(databaseUrl: string, options: CreateStoreOptions = {}): Promise<Store> {
	const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(databaseUrl.trim())?.[1]?.toLowerCase();
	if (scheme === "sqlite") {
		return createSqliteStore({ ...parseSqliteUrl(databaseUrl), migrate: options.migrate ?? true });
	}
	// Only the scheme is echoed: the rest of a database URL may carry a password.
	const named =
		scheme === undefined ? "DATABASE_URL has no scheme" : `DATABASE_URL scheme "${scheme}:" is not supported`;
	throw new Error(`${named}; this build supports ${supportedSchemes}`);
}
