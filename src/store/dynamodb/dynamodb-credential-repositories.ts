import type {
	ApiKeyRecord,
	ApiKeyRepository,
	ConsumeOutcome,
	RefreshTokenRecord,
	RefreshTokenRepository,
} from "../store-port.js";
import { type ItemOperations, timeOrderedKey } from "./dynamodb-items.js";
import { timeToLiveSeconds } from "./dynamodb-table.js";

/**
 * Refresh tokens and API keys. Each record sits under its id (`REFRESH#<id>`, `APIKEY#<id>`);
 * a pointer item under the secret's hash (`REFRESHHASH#<hash>`, `APIKEYHASH#<hash>`) finds it
 * with two strongly consistent reads, written before the record so a record is never
 * unreachable. Refresh tokens and their pointers carry the TTL attribute, so DynamoDB drops
 * them after they expire; until it does, reads see them as the SQL stores do (expiry is
 * checked by the auth service). Listings: gsi1 `USER#<id>#APIKEYS` (newest first) and
 * `USER#<id>#REFRESH`; gsi2 `FAMILY#<familyId>` for revoking one login's chain.
 */

const refreshKey = (id: string) => ({ pk: `REFRESH#${id}`, sk: "TOKEN" });
const refreshHashKey = (hash: string) => ({ pk: `REFRESHHASH#${hash}`, sk: "POINTER" });
const apiKeyKey = (id: string) => ({ pk: `APIKEY#${id}`, sk: "KEY" });
const apiKeyHashKey = (hash: string) => ({ pk: `APIKEYHASH#${hash}`, sk: "POINTER" });

export function createDynamoRefreshTokenRepository(items: ItemOperations): RefreshTokenRepository {
	const revokeAll = async (tokens: Array<{ data: RefreshTokenRecord }>, at: number) => {
		for (const { data } of tokens) {
			if (data.revokedAt !== null) continue;
			await items.update(refreshKey(data.id), "SET #data.revokedAt = :at", {
				names: { "#data": "data" },
				values: { ":at": at, ":none": null },
				condition: "#data.revokedAt = :none",
			});
		}
	};

	return {
		async create(token) {
			const record: RefreshTokenRecord = { ...token, usedAt: null, revokedAt: null };
			const expiresAt = timeToLiveSeconds(token.expiresAt);
			await items.put({ ...refreshHashKey(token.tokenHash), id: token.id, expiresAt });
			await items.put({
				...refreshKey(token.id),
				data: record,
				expiresAt,
				gsi1pk: `USER#${token.userId}#REFRESH`,
				gsi1sk: timeOrderedKey(token.createdAt, token.id),
				gsi2pk: `FAMILY#${token.familyId}`,
				gsi2sk: timeOrderedKey(token.createdAt, token.id),
			});
		},

		async findByHash(tokenHash) {
			const pointer = await items.get<{ id: string }>(refreshHashKey(tokenHash));
			if (pointer === undefined) return undefined;
			const token = await items.get<{ data: RefreshTokenRecord }>(refreshKey(pointer.id));
			return token?.data.tokenHash === tokenHash ? token.data : undefined;
		},

		async consume(id, at): Promise<ConsumeOutcome> {
			// One conditional update: of two concurrent consumers only one sees usedAt still null.
			const consumed = await items.update(refreshKey(id), "SET #data.usedAt = :at", {
				names: { "#data": "data" },
				values: { ":at": at, ":none": null },
				condition: "attribute_exists(pk) AND #data.usedAt = :none AND #data.revokedAt = :none",
			});
			if (consumed !== undefined) return "consumed";
			const token = await items.get<{ data: RefreshTokenRecord }>(refreshKey(id));
			if (token === undefined) return "missing";
			return token.data.revokedAt !== null ? "revoked" : "already-used";
		},

		async revokeFamily(familyId, at) {
			await revokeAll(await items.query({ index: "gsi2", partition: `FAMILY#${familyId}` }), at);
		},

		async revokeAllForUser(userId, at) {
			await revokeAll(await items.query({ index: "gsi1", partition: `USER#${userId}#REFRESH` }), at);
		},
	};
}

export function createDynamoApiKeyRepository(items: ItemOperations): ApiKeyRepository {
	const read = async (id: string) => (await items.get<{ data: ApiKeyRecord }>(apiKeyKey(id)))?.data;

	return {
		async create(key) {
			const record: ApiKeyRecord = { ...key, lastUsedAt: null, revokedAt: null };
			await items.put({ ...apiKeyHashKey(key.keyHash), id: key.id });
			await items.put({
				...apiKeyKey(key.id),
				data: record,
				gsi1pk: `USER#${key.userId}#APIKEYS`,
				gsi1sk: timeOrderedKey(key.createdAt, key.id),
			});
		},

		async findByHash(keyHash) {
			const pointer = await items.get<{ id: string }>(apiKeyHashKey(keyHash));
			if (pointer === undefined) return undefined;
			const key = await read(pointer.id);
			return key?.keyHash === keyHash ? key : undefined;
		},

		async listByUser(userId) {
			const keys = await items.query<{ data: ApiKeyRecord }>({
				index: "gsi1",
				partition: `USER#${userId}#APIKEYS`,
				newestFirst: true,
				filter: (item) => item.data.revokedAt === null,
			});
			return keys.map((item) => item.data);
		},

		async revoke(userId, id, at) {
			const revoked = await items.update(apiKeyKey(id), "SET #data.revokedAt = :at", {
				names: { "#data": "data" },
				values: { ":at": at, ":user": userId, ":none": null },
				condition: "#data.userId = :user AND #data.revokedAt = :none",
			});
			return revoked !== undefined;
		},

		async touch(id, at) {
			await items.update(apiKeyKey(id), "SET #data.lastUsedAt = :at", {
				names: { "#data": "data" },
				values: { ":at": at, ":none": null },
				// Concurrent requests may finish out of order; the newest use wins.
				condition: "attribute_exists(pk) AND (#data.lastUsedAt = :none OR #data.lastUsedAt < :at)",
			});
		},
	};
}
