import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import { applyMemoryPatch, type MemoryRecord, type MemoryRepository } from "../memory-port.js";
import { bytesToVector, dotProduct, vectorNorm, vectorToBytes } from "../vector-bytes.js";
import type { ItemOperations } from "./dynamodb-items.js";

/**
 * Memories: all of a user's in one partition, `USER#<userId>#MEMORY` / `<id>`, vectors as
 * Float32 bytes. A user has at most a few thousand memories, so listings and `nearest` read
 * the partition and order or score it here — the same exact cosine scan as the SQL stores.
 */

interface MemoryItem {
	data: Omit<MemoryRecord, "vector">;
	vector: Uint8Array;
}

const partitionOf = (userId: string) => `USER#${userId}#MEMORY`;
const keyOf = (userId: string, id: string) => ({ pk: partitionOf(userId), sk: id });

const toRecord = (item: MemoryItem): MemoryRecord => ({ ...item.data, vector: bytesToVector(item.vector) });
const newestFirst = (left: MemoryRecord, right: MemoryRecord) =>
	right.createdAt - left.createdAt || (left.id < right.id ? 1 : left.id > right.id ? -1 : 0);

export function createDynamoMemoryRepository(items: ItemOperations): MemoryRepository {
	async function write(record: MemoryRecord, condition: "new" | "existing") {
		const { vector, ...data } = record;
		return items.put(
			{ ...keyOf(record.userId, record.id), data, vector: vectorToBytes(vector) },
			{ expression: condition === "new" ? "attribute_not_exists(pk)" : "attribute_exists(pk)" },
		);
	}

	async function all(userId: string): Promise<MemoryRecord[]> {
		return (await items.query<MemoryItem>({ partition: partitionOf(userId) })).map(toRecord).sort(newestFirst);
	}

	return {
		async create(memory) {
			const record: MemoryRecord = { ...memory, vector: Float32Array.from(memory.vector) };
			if (!(await write(record, "new"))) throw new Error(`memory ${memory.id} already exists`);
			return record;
		},

		async findById(userId, id) {
			const item = await items.get<MemoryItem>(keyOf(userId, id));
			return item === undefined ? undefined : toRecord(item);
		},

		async list(userId, request) {
			checkPageLimit(request.limit);
			const position = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
			const matching = (await all(userId)).filter(
				(memory) =>
					(request.kind === undefined || memory.kind === request.kind) &&
					(position === undefined ||
						memory.createdAt < position.timestamp ||
						(memory.createdAt === position.timestamp && memory.id < position.id)),
			);
			return toPage(matching.slice(0, request.limit + 1), request.limit, (memory) => ({
				timestamp: memory.createdAt,
				id: memory.id,
			}));
		},

		async update(userId, id, patch, at) {
			const item = await items.get<MemoryItem>(keyOf(userId, id));
			if (item === undefined) return undefined;
			const next = applyMemoryPatch(toRecord(item), patch, at);
			return (await write(next, "existing")) ? next : undefined;
		},

		async delete(userId, id) {
			return (await items.remove(keyOf(userId, id), { expression: "attribute_exists(pk)" })) !== undefined;
		},

		async deleteAll(userId) {
			const found = await items.query<{ pk: string; sk: string }>({ partition: partitionOf(userId) });
			await items.removeMany(found.map(({ pk, sk }) => ({ pk, sk })));
			return found.length;
		},

		async hasAny(userId) {
			return (await items.query({ partition: partitionOf(userId), limit: 1 })).length > 0;
		},

		async nearest(userId, vector, embedderId, k) {
			if (k <= 0) return [];
			const queryNorm = vectorNorm(vector);
			if (queryNorm === 0) return [];
			const scored: Array<{ memory: MemoryRecord; score: number }> = [];
			for (const memory of await all(userId)) {
				if (memory.embedderId !== embedderId || memory.vector.length !== vector.length) continue;
				const storedNorm = vectorNorm(memory.vector);
				if (storedNorm === 0) continue;
				scored.push({ memory, score: dotProduct(vector, memory.vector) / (queryNorm * storedNorm) });
			}
			scored.sort((left, right) => right.score - left.score || (left.memory.id < right.memory.id ? 1 : -1));
			return scored.slice(0, k);
		},

		async listByKind(userId, kind, limit) {
			if (limit <= 0) return [];
			return (await all(userId)).filter((memory) => memory.kind === kind).slice(0, limit);
		},
	};
}
