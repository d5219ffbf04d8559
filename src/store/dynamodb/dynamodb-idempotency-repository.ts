import { createHash } from "node:crypto";
import type { ClaimOutcome, IdempotencyRepository, StoredResponse } from "../idempotency-port.js";
import { type ItemOperations, timeOrderedKey } from "./dynamodb-items.js";
import { timeToLiveSeconds } from "./dynamodb-table.js";

/**
 * Idempotency-Key records: `IDEMPOTENCY#<owner>#<key>` / `RECORD`, with the TTL attribute so
 * DynamoDB drops them once expired. Until it does (TTL deletion lags, dynalite never deletes),
 * an expired record counts as absent: the claim's condition replaces it. For purgeExpired the
 * records are also listed by expiry in gsi2, spread over 16 partitions so no single index
 * partition takes every write.
 */

const shards = 16;

interface IdempotencyItem {
	fingerprint: string;
	status: number | null;
	headers: string | null;
	body: string | null;
	lockedUntil: number;
	expiresAtMs: number;
}

const keyOf = (ownerId: string, key: string) => ({ pk: `IDEMPOTENCY#${ownerId}#${key}`, sk: "RECORD" });

function expiryIndex(ownerId: string, key: string, expiresAtMs: number) {
	const digest = createHash("sha256").update(`${ownerId}\u0000${key}`).digest();
	return {
		gsi2pk: `IDEMPOTENCY#EXPIRY#${(digest[0] ?? 0) % shards}`,
		gsi2sk: timeOrderedKey(expiresAtMs, `${ownerId}#${key}`),
		expiresAt: timeToLiveSeconds(expiresAtMs),
		expiresAtMs,
	};
}

export function createDynamoIdempotencyRepository(items: ItemOperations): IdempotencyRepository {
	return {
		async claim({ ownerId, key, fingerprint, now, lockedUntil }) {
			for (let attempt = 0; attempt < 5; attempt += 1) {
				// Written only when no live record exists: absent, expired, or a claim whose lock ran out.
				const claimed = await items.put(
					{
						...keyOf(ownerId, key),
						ownerId,
						key,
						fingerprint,
						status: null,
						headers: null,
						body: null,
						lockedUntil,
						...expiryIndex(ownerId, key, lockedUntil),
					},
					{
						expression: "attribute_not_exists(pk) OR expiresAtMs <= :now OR (#status = :none AND lockedUntil <= :now)",
						names: { "#status": "status" },
						values: { ":now": now, ":none": null },
					},
				);
				if (claimed) return { state: "claimed" };
				const record = await items.get<IdempotencyItem>(keyOf(ownerId, key));
				if (record === undefined) continue;
				if (record.fingerprint !== fingerprint) return { state: "mismatch" };
				if (record.status === null) return { state: "in-progress", lockedUntil: record.lockedUntil };
				return { state: "completed", response: toResponse(record) } satisfies ClaimOutcome;
			}
			throw new Error("idempotency claim kept losing its record to concurrent releases");
		},

		async complete(ownerId, key, response, expiresAt) {
			const index = expiryIndex(ownerId, key, expiresAt);
			await items.update(
				keyOf(ownerId, key),
				"SET #status = :status, headers = :headers, body = :body, expiresAt = :ttl, expiresAtMs = :expires, gsi2sk = :sort",
				{
					names: { "#status": "status" },
					values: {
						":status": response.status,
						":headers": JSON.stringify(response.headers),
						":body": response.body,
						":ttl": index.expiresAt,
						":expires": expiresAt,
						":sort": index.gsi2sk,
						":none": null,
					},
					condition: "attribute_exists(pk) AND #status = :none",
				},
			);
		},

		async release(ownerId, key) {
			await items.remove(keyOf(ownerId, key), {
				expression: "#status = :none",
				names: { "#status": "status" },
				values: { ":none": null },
			});
		},

		async purgeExpired(now) {
			let purged = 0;
			for (let shard = 0; shard < shards; shard += 1) {
				const expired = await items.query<{ pk: string; sk: string; expiresAtMs: number }>({
					index: "gsi2",
					partition: `IDEMPOTENCY#EXPIRY#${shard}`,
					sort: { below: timeOrderedKey(now + 1, "") },
				});
				for (const record of expired) {
					// Re-checked on delete: the record may have been claimed again meanwhile.
					const removed = await items.remove(
						{ pk: record.pk, sk: record.sk },
						{ expression: "expiresAtMs <= :now", values: { ":now": now } },
					);
					if (removed !== undefined) purged += 1;
				}
			}
			return purged;
		},
	};
}

function toResponse(record: IdempotencyItem): StoredResponse {
	return {
		status: record.status ?? 200,
		headers: record.headers === null ? {} : (JSON.parse(record.headers) as Record<string, string>),
		body: record.body ?? "",
	};
}
