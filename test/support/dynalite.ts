import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import dynalite from "dynalite";
import { afterAll } from "vitest";
import { parseDynamoDbUrl } from "../../src/store/dynamodb/dynamodb-config.js";
import { createDynamoStore } from "../../src/store/dynamodb/dynamodb-store.js";
import type { Store } from "../../src/store/store-port.js";

/**
 * DynamoDB for tests: dynalite (an in-memory implementation of DynamoDB's HTTP API) started in
 * this process on 127.0.0.1 on a free port, once per test file, closed by `stop()`. It needs no
 * service, so it is always available; each store gets its own table.
 */

export interface LocalDynamo {
	endpoint: string;
	/** A DATABASE_URL naming a fresh table on this server. */
	freshDatabaseUrl(prefix?: string): string;
	stop(): Promise<void>;
}

export async function startLocalDynamo(): Promise<LocalDynamo> {
	const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	const endpoint = `http://127.0.0.1:${port}`;
	return {
		endpoint,
		freshDatabaseUrl: (prefix = "parley") =>
			`dynamodb://${prefix}-${randomBytes(6).toString("hex")}?region=us-east-1&endpoint=${encodeURIComponent(endpoint)}`,
		stop: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				// Keep-alive sockets of the SDK would hold close() open.
				(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
			}),
	};
}

/**
 * Fresh DynamoDB stores on one dynalite server for the calling test file, stopped after its
 * tests (registers an afterAll hook, so call it at a test file's top level).
 */
export function dynamoStoreFactory(): () => Promise<Store> {
	let local: Promise<LocalDynamo> | undefined;
	afterAll(async () => {
		if (local !== undefined) await (await local).stop();
	});
	return async () => {
		local ??= startLocalDynamo();
		return createDynamoStore({ settings: parseDynamoDbUrl((await local).freshDatabaseUrl("test")) });
	};
}
