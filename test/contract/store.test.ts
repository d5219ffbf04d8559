import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, it } from "vitest";
import { parseDynamoDbUrl } from "../../src/store/dynamodb/dynamodb-config.js";
import { createDynamoStore } from "../../src/store/dynamodb/dynamodb-store.js";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store-port.js";
import { type LocalDynamo, startLocalDynamo } from "../support/dynalite.js";
import {
	createTestDatabase,
	freshSchemaName,
	postgresUnavailableBecause,
	type TestDatabase,
} from "../support/postgres.js";
import { describeKnowledgeContract } from "./knowledge.contract.js";
import { describeMemoryContract } from "./memory.contract.js";
import { describeStoreContract } from "./store.contract.js";

/**
 * Every storage adapter runs the same contract. An adapter whose service is unreachable is
 * skipped locally but fails under CI=true, where every service must be up.
 */
interface AdapterUnderTest {
	name: string;
	/** Why the adapter cannot run here, or undefined when it can. */
	unavailableBecause(): Promise<string | undefined>;
	createFreshStore(): Promise<Store>;
	cleanUp(): Promise<void>;
}

function sqliteAdapter(): AdapterUnderTest {
	let directory: string | undefined;
	let created = 0;
	return {
		name: "sqlite",
		unavailableBecause: async () => undefined,
		createFreshStore: async () => {
			directory ??= mkdtempSync(path.join(tmpdir(), "parley-store-contract-"));
			created += 1;
			return createSqliteStore({ filename: path.join(directory, `store-${created}.db`) });
		},
		cleanUp: async () => {
			if (directory !== undefined) {
				rmSync(directory, { recursive: true, force: true });
			}
		},
	};
}

/** One fresh database per run; each store gets its own schema in it, so every test starts empty. */
function postgresAdapter(): AdapterUnderTest {
	let database: Promise<TestDatabase> | undefined;
	return {
		name: "postgres",
		unavailableBecause: () => postgresUnavailableBecause(),
		createFreshStore: async () => {
			database ??= createTestDatabase();
			const { url } = await database;
			return createPostgresStore({ url, schema: freshSchemaName("store"), pool: { size: 4 } });
		},
		cleanUp: async () => {
			if (database !== undefined) await (await database).drop();
		},
	};
}

/** dynalite in this process (always available); a fresh table per store. */
function dynamoAdapter(): AdapterUnderTest {
	let local: Promise<LocalDynamo> | undefined;
	return {
		name: "dynamodb",
		unavailableBecause: async () => undefined,
		createFreshStore: async () => {
			local ??= startLocalDynamo();
			return createDynamoStore({ settings: parseDynamoDbUrl((await local).freshDatabaseUrl("store")) });
		},
		cleanUp: async () => {
			if (local !== undefined) await (await local).stop();
		},
	};
}

const adapters: AdapterUnderTest[] = [sqliteAdapter(), postgresAdapter(), dynamoAdapter()];

const requireEveryAdapter = process.env.CI === "true";

for (const adapter of adapters) {
	const unavailable = await adapter.unavailableBecause();
	if (unavailable === undefined) {
		describeStoreContract(adapter.name, () => adapter.createFreshStore());
		describeMemoryContract(adapter.name, () => adapter.createFreshStore());
		describeKnowledgeContract(adapter.name, () => adapter.createFreshStore());
		afterAll(() => adapter.cleanUp());
	} else if (requireEveryAdapter) {
		describe(`store contract: ${adapter.name}`, () => {
			it("runs under CI", () => {
				throw new Error(`${adapter.name} is required under CI=true but unavailable: ${unavailable}`);
			});
		});
	} else {
		describe.skip(`store contract: ${adapter.name} (${unavailable})`, () => {
			it("needs its service", () => {});
		});
	}
}
