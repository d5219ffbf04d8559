import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Principal } from "../../src/auth/principal.js";
import { createMemoryService, type MemoryServiceDependencies } from "../../src/memory/memory-service.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store-port.js";
import { aUser } from "../contract/store/fixtures.js";
import { createWordEmbedder } from "./word-embedder.js";

/** A memory service over a real SQLite file, with a recording logger; `close` removes everything. */
export async function createMemoryHarness(overrides: Partial<MemoryServiceDependencies> = {}) {
	const directory = mkdtempSync(path.join(tmpdir(), "parley-memory-"));
	const store: Store = await createSqliteStore({ filename: path.join(directory, "parley.db") });
	const warnings: Array<{ details: Record<string, unknown>; message: string }> = [];
	const embedder = createWordEmbedder();
	const memory = createMemoryService({
		store,
		embedder,
		logger: { warn: (details, message) => warnings.push({ details, message }) },
		defaultModel: { provider: "mock", model: "parley-mock-1" },
		...overrides,
	});

	async function principal(overridesForUser: Parameters<typeof aUser>[0] = {}): Promise<Principal> {
		const user = await store.users.create(aUser(overridesForUser));
		return {
			userId: user.id,
			email: user.email,
			username: user.username,
			roles: user.roles,
			method: "access-token",
			apiKeyId: null,
			mayActForOthers: false,
		};
	}

	/** The user's memory texts, newest first. */
	async function texts(who: Principal): Promise<string[]> {
		return (await memory.list(who, { limit: 100 })).items.map((record) => record.text);
	}

	/** Observes each message in turn, as a chat would, waiting for each to be learnt. */
	async function say(who: Principal, ...messages: string[]): Promise<void> {
		for (const message of messages) await memory.observe(who, { message, interactionId: `interaction:${message}` });
	}

	return {
		store,
		embedder,
		memory,
		warnings,
		principal,
		texts,
		say,
		async close() {
			await memory.idle();
			await store.close();
			rmSync(directory, { recursive: true, force: true });
		},
	};
}

export type MemoryHarness = Awaited<ReturnType<typeof createMemoryHarness>>;
