import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/store/create-store.js";
import { postgresMigrations } from "../../src/store/postgres/postgres-migrations.js";
import { createPostgresPool, createPostgresStore } from "../../src/store/postgres/postgres-store.js";
import {
	aCollection,
	aDocument,
	scopeOf,
	searchRequest,
	testEmbedderId,
	testVector,
} from "../contract/knowledge/knowledge-fixtures.js";
import { createTestDatabase, describeWithPostgres, freshSchemaName, type TestDatabase } from "../support/postgres.js";

/**
 * What only the PostgreSQL adapter has: migrations shared by processes starting together, the
 * readiness check, pool settings, and URLs whose passwords must never be echoed.
 * Real parts: PostgreSQL with pgvector on 127.0.0.1:5432, a fresh database for this file.
 */

// Nothing listens on port 1: connecting fails at once, like a database that is down.
const unreachableUrl = "postgres://parley:sup3r-secret-password@127.0.0.1:1/parley";

await describeWithPostgres("postgres store", () => {
	describe("postgres store", () => {
		let database: TestDatabase;
		beforeAll(async () => {
			database = await createTestDatabase();
		});
		afterAll(() => database?.drop());

		it("migrates once when several processes start on the same empty database at once", async () => {
			const schema = freshSchemaName("concurrent");
			const stores = await Promise.all(
				Array.from({ length: 4 }, () => createPostgresStore({ url: database.url, schema, pool: { size: 2 } })),
			);
			try {
				for (const store of stores) await store.ping();
				const client = new pg.Client({ connectionString: database.url });
				await client.connect();
				const { rows } = await client.query<{ name: string }>(
					`SELECT name FROM ${schema}.kysely_migration ORDER BY name`,
				);
				await client.end();
				expect(rows.map((row) => row.name)).toEqual(Object.keys(postgresMigrations).sort());
				// Every store works on the one schema.
				await stores[0]!.users.create({
					id: "user-1",
					email: "ada@example.com",
					username: "Ada",
					name: null,
					roles: [],
					preferences: {},
					defaultModel: null,
					memoryEnabled: true,
					passwordHash: null,
					externalIssuer: null,
					externalSubject: null,
					createdAt: 1,
				});
				expect((await stores[3]!.users.findByUsername("ADA"))?.id).toBe("user-1");
			} finally {
				await Promise.all(stores.map((store) => store.close()));
			}
		});

		it("builds its pool with the configured statement timeout, size and schema", async () => {
			const schema = freshSchemaName("pool");
			const pool = createPostgresPool({ url: database.url, schema, pool: { size: 2, statementTimeoutMs: 200 } });
			try {
				await expect(pool.query("SELECT pg_sleep(2)")).rejects.toMatchObject({ code: "57014" });
				const { rows } = await pool.query<{ search_path: string }>("SHOW search_path");
				expect(rows[0]?.search_path).toBe(`${schema},public`);
				// bigint counts come back as numbers, not strings.
				expect((await pool.query<{ count: unknown }>("SELECT count(*) AS count FROM pg_class")).rows[0]?.count).toEqual(
					expect.any(Number),
				);
				expect(pool.options.max).toBe(2);
			} finally {
				await pool.end();
			}
			const unlimited = createPostgresPool({ url: database.url, pool: { size: 1, statementTimeoutMs: 0 } });
			try {
				const { rows } = await unlimited.query<{ statement_timeout: string }>("SHOW statement_timeout");
				expect(rows[0]?.statement_timeout).toBe("0");
			} finally {
				await unlimited.end();
			}
		});

		it("takes concurrent uploads into a new vector space and one scope without deadlocks", async () => {
			const store = await createPostgresStore({ url: database.url, schema: freshSchemaName("uploads") });
			try {
				const collection = aCollection();
				await store.knowledge.createCollection(collection);
				const inputs = Array.from({ length: 12 }, (_, index) =>
					aDocument({ collection, texts: [`zeppelin number ${index}`, `hangar ${index}`] }),
				);
				await Promise.all(inputs.map((input) => store.knowledge.addDocument(input)));
				expect(await store.knowledge.vectorSpaces()).toEqual([{ embedderId: testEmbedderId, chunkCount: 24 }]);
				expect((await store.knowledge.termStatistics(["zeppelin"])).documentFrequencies).toEqual([12]);
				const hits = await store.knowledge.search(
					searchRequest("zeppelin", "keyword", [scopeOf(collection)], { k: 50 }),
				);
				expect(hits).toHaveLength(12);
			} finally {
				await store.close();
			}
		});

		it("moves a scope's vectors into the HNSW graph once it grows past the threshold, and still finds them all", async () => {
			const schema = freshSchemaName("graph");
			const store = await createPostgresStore({ url: database.url, schema, knowledge: { vectorGraphThreshold: 4 } });
			const client = new pg.Client({ connectionString: database.url, options: `-c search_path=${schema},public` });
			await client.connect();
			try {
				const collection = aCollection();
				await store.knowledge.createCollection(collection);
				const inGraph = async () =>
					(
						await client.query<{ in_graph: boolean }>("SELECT in_graph FROM knowledge_vectors_1 ORDER BY chunk_key")
					).rows.map((row) => row.in_graph);
				await store.knowledge.addDocument(aDocument({ collection, texts: ["delta wing", "swept wing", "canard"] }));
				expect(await inGraph()).toEqual([false, false, false]);
				await store.knowledge.addDocument(aDocument({ collection, texts: ["winglet", "flying wing"] }));
				expect(await inGraph()).toEqual([true, true, true, true, true]);
				const hits = await store.knowledge.search(
					searchRequest("", "vector", [scopeOf(collection)], { queryVector: testVector("t swept wing"), k: 10 }),
				);
				expect(hits).toHaveLength(5);
				expect(hits[0]?.text).toBe("swept wing");
			} finally {
				await client.end();
				await store.close();
			}
		});

		it("installs pgvector in public, never in a store's own schema, so dropping that schema keeps it", async () => {
			const bare = await createTestDatabase(undefined, { withVector: false });
			try {
				const first = await createPostgresStore({ url: bare.url, schema: "first_store" });
				await first.close();
				const client = new pg.Client({ connectionString: bare.url });
				await client.connect();
				try {
					const extensionSchema = async () =>
						(
							await client.query<{ nspname: string }>(
								`SELECT n.nspname FROM pg_extension AS e JOIN pg_namespace AS n ON n.oid = e.extnamespace
								WHERE e.extname = 'vector'`,
							)
						).rows.map((row) => row.nspname);
					expect(await extensionSchema()).toEqual(["public"]);
					await client.query("DROP SCHEMA first_store CASCADE");
					expect(await extensionSchema()).toEqual(["public"]);
				} finally {
					await client.end();
				}
				const second = await createPostgresStore({ url: bare.url, schema: "second_store" });
				await second.knowledge.createCollection(aCollection());
				await second.close();
			} finally {
				await bare.drop();
			}
		});

		it("answers ping while the server is up, and fails readiness without it", async () => {
			const store = await createPostgresStore({ url: database.url, schema: freshSchemaName("ping") });
			await store.ping();
			await store.close();
			const down = await createPostgresStore({ url: unreachableUrl, migrate: false });
			await expect(down.ping()).rejects.toThrow();
			await down.close();
		});

		it("opens postgres:// and postgresql:// URLs through createStore, and never echoes a password", async () => {
			for (const scheme of ["postgres", "postgresql"]) {
				const url = database.url.replace(/^postgres(ql)?:/, `${scheme}:`);
				const store = await createStore(url, { pool: { size: 2, statementTimeoutMs: 5_000 } });
				expect(store.capabilities.backend).toBe("postgres");
				await store.ping();
				await store.close();
			}
			const failure = await createStore(unreachableUrl).then(
				() => undefined,
				(error: Error) => error,
			);
			expect(failure?.message).toContain("127.0.0.1:1/parley");
			expect(failure?.message).not.toContain("sup3r-secret-password");
			expect(String(failure?.cause)).not.toContain("sup3r-secret-password");
		});
	});
});
