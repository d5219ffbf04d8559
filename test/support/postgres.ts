import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, it } from "vitest";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { Store } from "../../src/store/store-port.js";

/**
 * The PostgreSQL these machines run (../shared/STACK.md): 127.0.0.1:5432, trust auth, with the
 * pgvector extension installed by .ci/run. POSTGRES_TEST_URL points elsewhere; it must name a
 * database the test user may connect to and a user allowed to create databases.
 */
export const testPostgresUrl = process.env.POSTGRES_TEST_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
	client.on("error", () => {});
	await client.connect();
	try {
		return await work(client);
	} finally {
		await client.end();
	}
}

/** Why PostgreSQL with pgvector cannot be used here, or undefined when it can. */
export async function postgresUnavailableBecause(url = testPostgresUrl): Promise<string | undefined> {
	try {
		return await withClient(url, async (client) => {
			const { rows } = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
			return rows.length === 0 ? "PostgreSQL answers but has no pgvector extension (see .ci/run)" : undefined;
		});
	} catch (error) {
		return `no PostgreSQL at ${new URL(url).host}: ${(error as Error).message}`;
	}
}

export interface TestDatabase {
	url: string;
	drop(): Promise<void>;
}

/** A fresh database (`parley_test_<random>`), with pgvector unless told otherwise, dropped again by `drop()`. */
export async function createTestDatabase(url = testPostgresUrl, options = { withVector: true }): Promise<TestDatabase> {
	const name = `parley_test_${randomBytes(6).toString("hex")}`;
	await withClient(url, (client) => client.query(`CREATE DATABASE ${name}`));
	const databaseUrl = new URL(url);
	databaseUrl.pathname = `/${name}`;
	if (options.withVector) {
		// Installed once in public, where every test schema finds the `vector` type.
		await withClient(databaseUrl.toString(), (client) => client.query("CREATE EXTENSION IF NOT EXISTS vector"));
	}
	return {
		url: databaseUrl.toString(),
		drop: () =>
			withClient(url, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
	};
}

let schemas = 0;

/** A schema name no other store of this process uses: each test's store starts empty. */
export function freshSchemaName(label: string): string {
	schemas += 1;
	return `${label}_${process.pid}_${schemas}`;
}

/**
 * Registers a suite that needs PostgreSQL: `register` gets a factory of fresh, migrated, empty
 * stores (one schema each, in one database made for this file and dropped after it). Without a
 * reachable PostgreSQL the suite is skipped locally and fails under CI=true.
 */
export async function describeWithPostgres(
	suiteName: string,
	register: (createFreshStore: () => Promise<Store>) => void,
): Promise<void> {
	const unavailable = await postgresUnavailableBecause();
	if (unavailable === undefined) {
		let database: Promise<TestDatabase> | undefined;
		register(async () => {
			database ??= createTestDatabase();
			const { url } = await database;
			return createPostgresStore({ url, schema: freshSchemaName("store"), pool: { size: 4 } });
		});
		afterAll(async () => {
			if (database !== undefined) await (await database).drop();
		});
	} else if (process.env.CI === "true") {
		describe(`${suiteName}: postgres`, () => {
			it("runs under CI", () => {
				throw new Error(`PostgreSQL is required under CI=true: ${unavailable}`);
			});
		});
	} else {
		describe.skip(`${suiteName}: postgres (${unavailable})`, () => {
			it("needs PostgreSQL", () => {});
		});
	}
}
