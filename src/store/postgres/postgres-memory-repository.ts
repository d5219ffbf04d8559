import { checkPageLimit, decodeCursor, toPage } from "../cursor.js";
import { applyMemoryPatch, type MemoryRecord, type MemoryRepository } from "../memory-port.js";
import { bytesToVector, dotProduct, vectorNorm, vectorToBytes } from "../vector-bytes.js";
import { type PostgresRepositoryDependencies, type Queryable, queryOne } from "./postgres-repository-support.js";

interface MemoryRow extends Omit<MemoryRecord, "vector"> {
	vector: Buffer;
}

const memoryColumns = `id, user_id AS "userId", text, kind, source_interaction_id AS "sourceInteractionId", vector,
	embedder_id AS "embedderId", created_at AS "createdAt", updated_at AS "updatedAt"`;

/**
 * Memories in PostgreSQL, vectors as Float32 bytea like the SQLite store. `nearest` is the same
 * exact cosine scan over the user's memories of one embedder, in JavaScript: a user has at most a
 * few thousand memories, and the same arithmetic on both backends gives the same scores and order.
 */
export function createPostgresMemoryRepository({
	pool,
	transaction,
}: PostgresRepositoryDependencies): MemoryRepository {
	async function findRecord(database: Queryable, userId: string, id: string, lock = false) {
		const row = await queryOne<MemoryRow>(
			database,
			`SELECT ${memoryColumns} FROM memories WHERE id = $1 AND user_id = $2${lock ? " FOR UPDATE" : ""}`,
			[id, userId],
		);
		return row === undefined ? undefined : toMemoryRecord(row);
	}

	return {
		async create(memory) {
			const record: MemoryRecord = { ...memory, vector: Float32Array.from(memory.vector) };
			await pool.query(
				`INSERT INTO memories (id, user_id, text, kind, source_interaction_id, vector, embedder_id, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				[
					record.id,
					record.userId,
					record.text,
					record.kind,
					record.sourceInteractionId,
					vectorToBytes(record.vector),
					record.embedderId,
					record.createdAt,
					record.updatedAt,
				],
			);
			return record;
		},

		findById(userId, id) {
			return findRecord(pool, userId, id);
		},

		async list(userId, request) {
			checkPageLimit(request.limit);
			const parameters: unknown[] = [userId];
			const conditions = ["user_id = $1"];
			if (request.kind !== undefined) {
				parameters.push(request.kind);
				conditions.push(`kind = $${parameters.length}`);
			}
			if (request.cursor !== undefined) {
				const position = decodeCursor(request.cursor);
				parameters.push(position.timestamp, position.id);
				conditions.push(`(created_at, id) < ($${parameters.length - 1}, $${parameters.length})`);
			}
			parameters.push(request.limit + 1);
			const { rows } = await pool.query<MemoryRow>(
				`SELECT ${memoryColumns} FROM memories WHERE ${conditions.join(" AND ")}
				ORDER BY created_at DESC, id DESC LIMIT $${parameters.length}`,
				parameters,
			);
			return toPage(rows.map(toMemoryRecord), request.limit, (memory) => ({
				timestamp: memory.createdAt,
				id: memory.id,
			}));
		},

		update(userId, id, patch, at) {
			// Read, merge and write in one transaction, the row locked so no other write slips in between.
			return transaction(async (client) => {
				const current = await findRecord(client, userId, id, true);
				if (current === undefined) return undefined;
				const next = applyMemoryPatch(current, patch, at);
				await client.query(
					`UPDATE memories SET text = $1, kind = $2, vector = $3, embedder_id = $4, updated_at = $5
					WHERE id = $6 AND user_id = $7`,
					[next.text, next.kind, vectorToBytes(next.vector), next.embedderId, at, id, userId],
				);
				return next;
			});
		},

		async delete(userId, id) {
			const deleted = await pool.query("DELETE FROM memories WHERE id = $1 AND user_id = $2", [id, userId]);
			return (deleted.rowCount ?? 0) > 0;
		},

		async deleteAll(userId) {
			return (await pool.query("DELETE FROM memories WHERE user_id = $1", [userId])).rowCount ?? 0;
		},

		async nearest(userId, vector, embedderId, k) {
			if (k <= 0) return [];
			const queryNorm = vectorNorm(vector);
			if (queryNorm === 0) return [];
			const { rows } = await pool.query<{ id: string; vector: Buffer }>(
				"SELECT id, vector FROM memories WHERE user_id = $1 AND embedder_id = $2",
				[userId, embedderId],
			);
			const scored: Array<{ id: string; score: number }> = [];
			for (const row of rows) {
				const stored = bytesToVector(row.vector);
				if (stored.length !== vector.length) continue;
				const storedNorm = vectorNorm(stored);
				if (storedNorm === 0) continue;
				scored.push({ id: row.id, score: dotProduct(vector, stored) / (queryNorm * storedNorm) });
			}
			scored.sort((left, right) => right.score - left.score || (left.id < right.id ? 1 : -1));
			const winners = scored.slice(0, k);
			if (winners.length === 0) return [];
			const { rows: full } = await pool.query<MemoryRow>(
				`SELECT ${memoryColumns} FROM memories WHERE user_id = $1 AND id = ANY($2)`,
				[userId, winners.map((winner) => winner.id)],
			);
			const byId = new Map(full.map((row) => [row.id, toMemoryRecord(row)]));
			return winners.flatMap(({ id, score }) => {
				const memory = byId.get(id);
				return memory === undefined ? [] : [{ memory, score }];
			});
		},

		async hasAny(userId) {
			return (await queryOne(pool, "SELECT 1 FROM memories WHERE user_id = $1 LIMIT 1", [userId])) !== undefined;
		},

		async listByKind(userId, kind, limit) {
			if (limit <= 0) return [];
			const { rows } = await pool.query<MemoryRow>(
				`SELECT ${memoryColumns} FROM memories WHERE user_id = $1 AND kind = $2
				ORDER BY created_at DESC, id DESC LIMIT $3`,
				[userId, kind, limit],
			);
			return rows.map(toMemoryRecord);
		},
	};
}

function toMemoryRecord(row: MemoryRow): MemoryRecord {
	return { ...row, vector: bytesToVector(row.vector) };
}
