import {
	BatchWriteCommand,
	DeleteCommand,
	GetCommand,
	PutCommand,
	QueryCommand,
	type QueryCommandInput,
	UpdateCommand,
	type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { type DynamoTable, firstIndex, secondIndex } from "./dynamodb-table.js";

/**
 * The few item operations every DynamoDB repository is built from. Items keep their keys and
 * index keys at the top level and the domain record under `data`, so a record's own field names
 * (`expiresAt` in ms, say) never collide with the table's (the TTL attribute in seconds).
 */

export type Item = Record<string, unknown>;

export interface ItemKey {
	pk: string;
	sk: string;
}

export interface Condition {
	expression: string;
	names?: Record<string, string>;
	values?: Record<string, unknown>;
}

/** A conditional write found its condition false: the caller decides what that means. */
export function isConditionFailure(error: unknown): boolean {
	return (error as Error | undefined)?.name === "ConditionalCheckFailedException";
}

export function createItemOperations(table: DynamoTable) {
	const { client, tableName } = table;

	async function get<T = Item>(key: ItemKey): Promise<T | undefined> {
		const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
		return Item as T | undefined;
	}

	/** Writes the item; false when `condition` was false (nothing written). */
	async function put(item: Item, condition?: Condition): Promise<boolean> {
		try {
			await client.send(
				new PutCommand({
					TableName: tableName,
					Item: item,
					...conditionParameters(condition),
				}),
			);
			return true;
		} catch (error) {
			if (condition !== undefined && isConditionFailure(error)) return false;
			throw error;
		}
	}

	/** Deletes the item; returns it, or undefined when it was absent or `condition` was false. */
	async function remove<T = Item>(key: ItemKey, condition?: Condition): Promise<T | undefined> {
		try {
			const { Attributes } = await client.send(
				new DeleteCommand({
					TableName: tableName,
					Key: key,
					ReturnValues: "ALL_OLD",
					...conditionParameters(condition),
				}),
			);
			return Attributes as T | undefined;
		} catch (error) {
			if (condition !== undefined && isConditionFailure(error)) return undefined;
			throw error;
		}
	}

	/** Updates the item; returns it as it is afterwards, or undefined when the condition was false. */
	async function update<T = Item>(
		key: ItemKey,
		expression: string,
		parameters: { names?: Record<string, string>; values?: Record<string, unknown>; condition?: string },
	): Promise<T | undefined> {
		const input: UpdateCommandInput = {
			TableName: tableName,
			Key: key,
			UpdateExpression: expression,
			ReturnValues: "ALL_NEW",
			...(parameters.condition === undefined ? {} : { ConditionExpression: parameters.condition }),
			...(parameters.names === undefined ? {} : { ExpressionAttributeNames: parameters.names }),
			...(parameters.values === undefined ? {} : { ExpressionAttributeValues: parameters.values }),
		};
		try {
			const { Attributes } = await client.send(new UpdateCommand(input));
			return Attributes as T | undefined;
		} catch (error) {
			if (parameters.condition !== undefined && isConditionFailure(error)) return undefined;
			throw error;
		}
	}

	/**
	 * Reads a partition (of the table or an index) in sort-key order until `limit` items passed
	 * `filter` or the partition ends. DynamoDB's own Limit counts items before filtering, so
	 * filtering is done here and pages are fetched until enough items are kept.
	 */
	async function query<T = Item>(request: PartitionQuery<T>): Promise<T[]> {
		const index = request.index === undefined ? undefined : request.index === "gsi1" ? firstIndex : secondIndex;
		const partitionName = index?.partitionKey ?? "pk";
		const sortName = index?.sortKey ?? "sk";
		const names: Record<string, string> = { "#partition": partitionName };
		const values: Record<string, unknown> = { ":partition": request.partition };
		let keyCondition = "#partition = :partition";
		const range = request.sort;
		// DynamoDB refuses a name the expression does not use.
		if (range !== undefined) names["#sort"] = sortName;
		if (range?.beginsWith !== undefined) {
			keyCondition += " AND begins_with(#sort, :prefix)";
			values[":prefix"] = range.beginsWith;
		} else if (range?.between !== undefined) {
			keyCondition += " AND #sort BETWEEN :low AND :high";
			values[":low"] = range.between[0];
			values[":high"] = range.between[1];
		} else if (range?.below !== undefined) {
			keyCondition += " AND #sort < :bound";
			values[":bound"] = range.below;
		} else if (range?.above !== undefined) {
			keyCondition += " AND #sort > :bound";
			values[":bound"] = range.above;
		}
		const kept: T[] = [];
		let startKey: Record<string, unknown> | undefined;
		const limit = request.limit ?? Number.POSITIVE_INFINITY;
		if (limit <= 0) return kept;
		do {
			const input: QueryCommandInput = {
				TableName: tableName,
				KeyConditionExpression: keyCondition,
				ExpressionAttributeNames: names,
				ExpressionAttributeValues: values,
				ScanIndexForward: !(request.newestFirst ?? false),
				...(index === undefined ? { ConsistentRead: true } : { IndexName: index.name }),
				...(Number.isFinite(limit) && request.filter === undefined ? { Limit: limit - kept.length } : {}),
				...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
			};
			const page = await client.send(new QueryCommand(input));
			for (const item of (page.Items ?? []) as T[]) {
				if (request.filter === undefined || request.filter(item)) kept.push(item);
				if (kept.length >= limit) return kept;
			}
			startKey = page.LastEvaluatedKey;
		} while (startKey !== undefined);
		return kept;
	}

	/** Deletes many items, 25 per request, retrying what DynamoDB leaves unprocessed. */
	function removeMany(keys: ItemKey[]): Promise<void> {
		return writeMany(keys.map((key) => ({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } })));
	}

	/** Writes many items unconditionally, 25 per request, retrying what DynamoDB leaves unprocessed. */
	function putMany(newItems: Item[]): Promise<void> {
		return writeMany(newItems.map((item) => ({ PutRequest: { Item: item } })));
	}

	async function writeMany(all: Array<Record<string, unknown>>): Promise<void> {
		for (let start = 0; start < all.length; start += 25) {
			let requests = all.slice(start, start + 25);
			for (let attempt = 0; requests.length > 0; attempt += 1) {
				if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
				const { UnprocessedItems } = await client.send(
					new BatchWriteCommand({ RequestItems: { [tableName]: requests as never } }),
				);
				requests = (UnprocessedItems?.[tableName] ?? []) as Array<Record<string, unknown>>;
				if (attempt > 10 && requests.length > 0) throw new Error("DynamoDB kept items of a batch write unprocessed");
			}
		}
	}

	return { get, put, remove, update, query, removeMany, putMany };
}

export type ItemOperations = ReturnType<typeof createItemOperations>;

export interface PartitionQuery<T> {
	index?: "gsi1" | "gsi2";
	partition: string;
	sort?: { beginsWith?: string; between?: [string, string]; below?: string; above?: string };
	newestFirst?: boolean;
	limit?: number;
	filter?: (item: T) => boolean;
}

function conditionParameters(condition: Condition | undefined) {
	if (condition === undefined) return {};
	return {
		ConditionExpression: condition.expression,
		...(condition.names === undefined ? {} : { ExpressionAttributeNames: condition.names }),
		...(condition.values === undefined ? {} : { ExpressionAttributeValues: condition.values }),
	};
}

/**
 * A sort key that orders by time, then id: epoch ms zero-padded to 15 digits (good until the
 * year 33658), so string order is time order.
 */
export function timeOrderedKey(timestamp: number, id: string): string {
	return `${String(Math.max(0, Math.trunc(timestamp))).padStart(15, "0")}#${id}`;
}

/**
 * An update expression that sets fields of the item's `data` record (and, through `top`,
 * top-level attributes such as index keys; a top-level value of undefined removes it), for
 * `ItemOperations.update`.
 */
export function setFields(
	fields: Record<string, unknown>,
	top: Record<string, unknown> = {},
): { expression: string; names: Record<string, string>; values: Record<string, unknown> } {
	const names: Record<string, string> = { "#data": "data" };
	const values: Record<string, unknown> = {};
	const assignments: string[] = [];
	const removals: string[] = [];
	Object.entries(fields).forEach(([field, value], position) => {
		names[`#f${position}`] = field;
		values[`:f${position}`] = value;
		assignments.push(`#data.#f${position} = :f${position}`);
	});
	Object.entries(top).forEach(([attribute, value], position) => {
		names[`#t${position}`] = attribute;
		if (value === undefined) {
			removals.push(`#t${position}`);
		} else {
			values[`:t${position}`] = value;
			assignments.push(`#t${position} = :t${position}`);
		}
	});
	const expression = [
		assignments.length > 0 ? `SET ${assignments.join(", ")}` : "",
		removals.length > 0 ? `REMOVE ${removals.join(", ")}` : "",
	]
		.filter((part) => part !== "")
		.join(" ");
	return { expression, names, values };
}
