import {
	CreateTableCommand,
	DescribeTableCommand,
	DynamoDBClient,
	ResourceNotFoundException,
	UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { DynamoDbSettings } from "./dynamodb-config.js";

/**
 * The single-table design every DynamoDB repository shares (documented in README, "DynamoDB
 * table design"). One table, string keys:
 *
 * - `pk` / `sk`: the item's partition and sort key. Items of one user live under partitions that
 *   start with that user's id, so a query can only ever read one user's items.
 * - `gsi1` (`gsi1pk` / `gsi1sk`): per-user listings in time order (conversations, documents,
 *   memories, questions…), and lookups by a secondary unique value where an item needs one.
 * - `gsi2` (`gsi2pk` / `gsi2sk`): sessions and work queues — refresh-token families, questions
 *   and jobs by state — so those scans never touch the other items.
 * - `expiresAt`: the TTL attribute (epoch seconds). DynamoDB deletes expired items lazily (up to
 *   days later) and dynalite never does, so every read of an expiring item also checks it.
 *
 * Both indexes project ALL attributes: listings read whole items, and a second read per row
 * would double their cost. Writes are single-item and conditional; there are no transactions
 * (dynalite has none, and on AWS they cost twice the capacity).
 */

export const partitionKey = "pk";
export const sortKey = "sk";
export const firstIndex = { name: "gsi1", partitionKey: "gsi1pk", sortKey: "gsi1sk" } as const;
export const secondIndex = { name: "gsi2", partitionKey: "gsi2pk", sortKey: "gsi2sk" } as const;
export const timeToLiveAttribute = "expiresAt";

export interface DynamoTable {
	/** Marshals plain JS values; `undefined` properties are dropped, Uint8Array becomes binary. */
	readonly client: DynamoDBDocumentClient;
	readonly tableName: string;
	/** Creates the table with its indexes and TTL when it does not exist (local use and tests). */
	ensureExists(): Promise<void>;
	close(): void;
}

export function createDynamoTable(settings: DynamoDbSettings): DynamoTable {
	const base = new DynamoDBClient({
		...(settings.region === undefined ? {} : { region: settings.region }),
		...(settings.endpoint === undefined
			? {}
			: {
					endpoint: settings.endpoint,
					// Local servers accept any credentials; the SDK still insists on a region and keys.
					region: settings.region ?? "us-east-1",
					credentials: localCredentials(),
				}),
		maxAttempts: 3,
	});
	const client = DynamoDBDocumentClient.from(base, {
		marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
		unmarshallOptions: { wrapNumbers: false },
	});
	return {
		client,
		tableName: settings.tableName,
		ensureExists: () => ensureTable(base, settings.tableName),
		close: () => base.destroy(),
	};
}

function localCredentials() {
	return {
		accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "local",
		secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "local",
	};
}

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
	if (await tableExists(client, tableName)) return;
	const stringAttribute = (name: string) => ({ AttributeName: name, AttributeType: "S" as const });
	const index = (definition: typeof firstIndex | typeof secondIndex) => ({
		IndexName: definition.name,
		KeySchema: [
			{ AttributeName: definition.partitionKey, KeyType: "HASH" as const },
			{ AttributeName: definition.sortKey, KeyType: "RANGE" as const },
		],
		Projection: { ProjectionType: "ALL" as const },
	});
	try {
		await client.send(
			new CreateTableCommand({
				TableName: tableName,
				BillingMode: "PAY_PER_REQUEST",
				AttributeDefinitions: [
					stringAttribute(partitionKey),
					stringAttribute(sortKey),
					stringAttribute(firstIndex.partitionKey),
					stringAttribute(firstIndex.sortKey),
					stringAttribute(secondIndex.partitionKey),
					stringAttribute(secondIndex.sortKey),
				],
				KeySchema: [
					{ AttributeName: partitionKey, KeyType: "HASH" },
					{ AttributeName: sortKey, KeyType: "RANGE" },
				],
				GlobalSecondaryIndexes: [index(firstIndex), index(secondIndex)],
			}),
		);
	} catch (error) {
		// Another process created it first.
		if ((error as Error).name !== "ResourceInUseException") throw error;
	}
	await waitUntilActive(client, tableName);
	try {
		await client.send(
			new UpdateTimeToLiveCommand({
				TableName: tableName,
				TimeToLiveSpecification: { AttributeName: timeToLiveAttribute, Enabled: true },
			}),
		);
	} catch (error) {
		// dynalite does not implement TTL; reads check expiry themselves, so nothing is lost.
		if (!/UnknownOperation|not supported/i.test(`${(error as Error).name} ${(error as Error).message}`)) throw error;
	}
}

async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
	try {
		await client.send(new DescribeTableCommand({ TableName: tableName }));
		return true;
	} catch (error) {
		if (error instanceof ResourceNotFoundException || (error as Error).name === "ResourceNotFoundException") {
			return false;
		}
		throw error;
	}
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
	for (let attempt = 0; attempt < 120; attempt += 1) {
		const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
		const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === "ACTIVE");
		if (Table?.TableStatus === "ACTIVE" && indexesActive) return;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	throw new Error(`DynamoDB table ${tableName} did not become active within 30 s`);
}

/** Epoch seconds for the TTL attribute from an epoch-ms expiry. */
export function timeToLiveSeconds(expiresAtMs: number): number {
	return Math.ceil(expiresAtMs / 1000);
}
