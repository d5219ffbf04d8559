import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { describeWithPostgres } from "../support/postgres.js";
import { describeIdempotencyContract } from "./idempotency.contract.js";

const directory = mkdtempSync(path.join(tmpdir(), "parley-idempotency-contract-"));
let created = 0;
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describeIdempotencyContract("sqlite", async () => {
	created += 1;
	const store = await createSqliteStore({ filename: path.join(directory, `records-${created}.db`) });
	return { records: store.idempotency, close: () => store.close() };
});

await describeWithPostgres("idempotency records contract", (createFreshStore) =>
	describeIdempotencyContract("postgres", async () => {
		const store = await createFreshStore();
		return { records: store.idempotency, close: () => store.close() };
	}),
);
