import type { Statement } from "better-sqlite3";
import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import { applyMemoryPatch, type MemoryKind, type MemoryRecord, type MemoryRepository } from "../memory-port.js";
import { dotProduct, vectorNorm, vectorToBytes } from "../vector-bytes.js";
import { preparedOnFirstUse, type SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

interface MemoryRow extends Omit<MemoryRecord, "vector"> {
	vector: Buffer;
}

type MemoryValues = [
	text: string,
	kind: MemoryKind,
	vector: Buffer,
	embedderId: string,
	updatedAt: number,
	id: string,
	userId: string,
];

const memoryColumns = `id, user_id AS userId, text, kind, source_interaction_id AS sourceInteractionId, vector,
	embedder_id AS embedderId, created_at AS createdAt, updated_at AS updatedAt`;

/**
 * One list query per combination of filters, each prepared once, so SQLite can seek the index to
 * the cursor (see sqlite-conversation-repository.ts). `user_id = +?`: same reason as there.
 */
function listSql(filterByKind: boolean, afterCursor: boolean): string {
	return `SELECT ${memoryColumns} FROM memories
		WHERE user_id = +?
		${filterByKind ? "AND kind = ?" : ""}
		${afterCursor ? "AND (created_at, id) < (?, ?)" : ""}
		ORDER BY created_at DESC, id DESC
		LIMIT ?`;
}

/**
 * Memories in SQLite, vectors as Float32 BLOBs. `nearest` is an exact cosine scan over the
 * user's memories of one embedder: a user has at most a few thousand memories, which scan in a
 * few milliseconds, so an approximate index would add a dependency and recall loss for nothing.
 */
export function createSqliteMemoryRepository({ database, writeQueue }: SqliteRepositoryDependencies): MemoryRepository {
	const statements = preparedOnFirstUse(() => {
		const listVariants: Statement<unknown[], MemoryRow>[] = [];
		for (const filterByKind of [false, true]) {
			for (const afterCursor of [false, true]) {
				listVariants.push(database.prepare<unknown[], MemoryRow>(listSql(filterByKind, afterCursor)));
			}
		}
		return {
			insert: database.prepare<[string, string, string, MemoryKind, string | null, Buffer, string, number, number]>(
				`INSERT INTO memories (id, user_id, text, kind, source_interaction_id, vector, embedder_id, created_at,
					updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			),
			hasAny: database.prepare<[string], number>("SELECT 1 FROM memories WHERE user_id = ? LIMIT 1").pluck(),
			findById: database.prepare<[string, string], MemoryRow>(
				`SELECT ${memoryColumns} FROM memories WHERE id = ? AND user_id = ?`,
			),
			list: (filterByKind: boolean, afterCursor: boolean) =>
				listVariants[(filterByKind ? 2 : 0) + (afterCursor ? 1 : 0)]!,
			listByKind: database.prepare<[string, MemoryKind, number], MemoryRow>(
				`SELECT ${memoryColumns} FROM memories WHERE user_id = +? AND kind = ?
				ORDER BY created_at DESC, id DESC LIMIT ?`,
			),
			vectorsOf: database.prepare<[string, string], { id: string; vector: Buffer }>(
				"SELECT id, vector FROM memories WHERE user_id = +? AND embedder_id = ?",
			),
			update: database.prepare<MemoryValues>(
				"UPDATE memories SET text = ?, kind = ?, vector = ?, embedder_id = ?, updated_at = ? WHERE id = ? AND user_id = ?",
			),
			delete: database.prepare<[string, string]>("DELETE FROM memories WHERE id = ? AND user_id = ?"),
			deleteAll: database.prepare<[string]>("DELETE FROM memories WHERE user_id = ?"),
		};
	});

	function findRecord(userId: string, id: string): MemoryRecord | undefined {
		const row = statements().findById.get(id, userId);
		return row === undefined ? undefined : toMemoryRecord(row);
	}

	return {
		create(memory) {
			const record: MemoryRecord = { ...memory, vector: Float32Array.from(memory.vector) };
			return writeQueue.run(
				() => {
					statements().insert.run(
						record.id,
						record.userId,
						record.text,
						record.kind,
						record.sourceInteractionId,
						vectorToBytes(record.vector),
						record.embedderId,
						record.createdAt,
						record.updatedAt,
					);
					return record;
				},
				{ singleStatement: true },
			);
		},

		async findById(userId, id) {
			return findRecord(userId, id);
		},

		async list(userId, request) {
			checkPageLimit(request.limit);
			const parameters: unknown[] = [userId];
			const filterByKind = request.kind !== undefined;
			if (filterByKind) parameters.push(request.kind);
			const afterCursor = request.cursor !== undefined;
			if (afterCursor) {
				const position = decodeCursor(request.cursor!);
				parameters.push(position.timestamp, position.id);
			}
			parameters.push(request.limit + 1);
			const rows = statements()
				.list(filterByKind, afterCursor)
				.all(...parameters);
			return toPage(rows.map(toMemoryRecord), request.limit, (memory) => ({
				timestamp: memory.createdAt,
				id: memory.id,
			}));
		},

		update(userId, id, patch, at) {
			// Read, merge and write in one unit of work, so no other write slips in between.
			return writeQueue.run(() => {
				const current = findRecord(userId, id);
				if (current === undefined) return undefined;
				const next = applyMemoryPatch(current, patch, at);
				statements().update.run(next.text, next.kind, vectorToBytes(next.vector), next.embedderId, at, id, userId);
				return next;
			});
		},

		delete(userId, id) {
			return writeQueue.run(() => statements().delete.run(id, userId).changes > 0, { singleStatement: true });
		},

		deleteAll(userId) {
			return writeQueue.run(() => statements().deleteAll.run(userId).changes, { singleStatement: true });
		},

		async nearest(userId, vector, embedderId, k) {
			if (k <= 0) return [];
			const queryNorm = vectorNorm(vector);
			if (queryNorm === 0) return [];
			// Scores first from (id, vector) only; whole rows are read for the k winners alone.
			const scored: Array<{ id: string; score: number }> = [];
			for (const row of statements().vectorsOf.iterate(userId, embedderId)) {
				const stored = toFloat32(row.vector);
				if (stored.length !== vector.length) continue;
				const storedNorm = vectorNorm(stored);
				if (storedNorm === 0) continue;
				scored.push({ id: row.id, score: dotProduct(vector, stored) / (queryNorm * storedNorm) });
			}
			scored.sort((left, right) => right.score - left.score || (left.id < right.id ? 1 : -1));
			const results: Array<{ memory: MemoryRecord; score: number }> = [];
			for (const { id, score } of scored.slice(0, k)) {
				const memory = findRecord(userId, id);
				if (memory !== undefined) results.push({ memory, score });
			}
			return results;
		},

		async hasAny(userId) {
			return statements().hasAny.get(userId) !== undefined;
		},

		async listByKind(userId, kind, limit) {
			if (limit <= 0) return [];
			return statements().listByKind.all(userId, kind, limit).map(toMemoryRecord);
		},
	};
}

function toMemoryRecord(row: MemoryRow): MemoryRecord {
	// A copy, never a view: the caller owns the record, and better-sqlite3 may reuse its buffers.
	return { ...row, vector: toFloat32(row.vector).slice() };
}

/** A Float32 view of a BLOB, copied only when the bytes are not 4-byte aligned (a typed array needs that). */
function toFloat32(blob: Buffer): Float32Array {
	if (blob.byteOffset % Float32Array.BYTES_PER_ELEMENT === 0) {
		return new Float32Array(blob.buffer, blob.byteOffset, Math.floor(blob.byteLength / Float32Array.BYTES_PER_ELEMENT));
	}
	const aligned = new Uint8Array(blob.byteLength);
	aligned.set(blob);
	return new Float32Array(aligned.buffer, 0, Math.floor(blob.byteLength / Float32Array.BYTES_PER_ELEMENT));
}
