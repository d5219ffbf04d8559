import type { Config } from "../config.js";
import { createStore } from "../store/create-store.js";

/** Applies pending migrations (the server also does this at start). */
export async function migrateCommand(config: Config): Promise<void> {
	const store = await createStore(config.databaseUrl, { pool: config.databasePool });
	try {
		await store.migrate();
	} finally {
		await store.close();
	}
}
