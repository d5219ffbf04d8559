import type { ProviderKeyRecord, ProviderKeyRepository } from "../provider-key-port.js";
import type { ItemOperations } from "./dynamodb-items.js";

/**
 * Users' own provider keys: `USER#<id>#PROVIDERKEYS` / `<provider>`, so one query lists a
 * user's keys in provider order. Master key rotation walks every user's keys through gsi2
 * (`PROVIDERKEYS` / `<userId>#<provider>`): user ids are fixed-length, so that string order is
 * the port's (userId, provider) order.
 */

const partitionOf = (userId: string) => `USER#${userId}#PROVIDERKEYS`;
const keyOf = (userId: string, provider: string) => ({ pk: partitionOf(userId), sk: provider });
const rotationPartition = "PROVIDERKEYS";

type ProviderKeyItem = { data: ProviderKeyRecord };

export function createDynamoProviderKeyRepository(items: ItemOperations): ProviderKeyRepository {
	const read = async (userId: string, provider: string) =>
		(await items.get<ProviderKeyItem>(keyOf(userId, provider)))?.data;

	return {
		async put(record) {
			const existing = await read(record.userId, record.provider);
			const stored: ProviderKeyRecord = { ...record, createdAt: existing?.createdAt ?? record.createdAt };
			await items.put({
				...keyOf(record.userId, record.provider),
				data: stored,
				gsi2pk: rotationPartition,
				gsi2sk: `${record.userId}#${record.provider}`,
			});
			return stored;
		},

		find: read,

		async listByUser(userId) {
			return (await items.query<ProviderKeyItem>({ partition: partitionOf(userId) })).map((item) => item.data);
		},

		async delete(userId, provider) {
			return (await items.remove(keyOf(userId, provider), { expression: "attribute_exists(pk)" })) !== undefined;
		},

		async listWrappedWithOtherKey(masterKeyId, after, limit) {
			const found = await items.query<ProviderKeyItem>({
				index: "gsi2",
				partition: rotationPartition,
				...(after === undefined ? {} : { sort: { above: `${after.userId}#${after.provider}` } }),
				limit,
				filter: (item) => item.data.masterKeyId !== masterKeyId,
			});
			return found.map((item) => item.data);
		},

		async rewrap(change) {
			const changed = await items.update(
				keyOf(change.userId, change.provider),
				"SET #data.wrappedKey = :wrapped, #data.masterKeyId = :master",
				{
					names: { "#data": "data" },
					values: {
						":wrapped": change.wrappedKey,
						":master": change.masterKeyId,
						":expectedMaster": change.expectedMasterKeyId,
						":expectedUpdated": change.expectedUpdatedAt,
					},
					condition: "#data.masterKeyId = :expectedMaster AND #data.updatedAt = :expectedUpdated",
				},
			);
			return changed !== undefined;
		},
	};
}
