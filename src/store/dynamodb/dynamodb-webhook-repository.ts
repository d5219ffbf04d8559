import type { WebhookDeliveryRecord, WebhookRecord, WebhookRepository } from "../webhook-port.js";
import { type ItemOperations, setFields } from "./dynamodb-items.js";

/**
 * Webhooks: `USER#<userId>#WEBHOOKS` / `<id>` (one query lists a user's), also in gsi2
 * (`WEBHOOKS` / `<id>`) for master key rotation. Deliveries: `DELIVERY#<userId>#<id>` / `RECORD`,
 * listed per webhook in gsi1 (`WEBHOOK#<userId>#<webhookId>` / `<id>`; ids are time-ordered
 * UUIDv7, so id order is newest first).
 */

type WebhookItem = { data: WebhookRecord; version: number };

const partitionOf = (userId: string) => `USER#${userId}#WEBHOOKS`;
const keyOf = (userId: string, id: string) => ({ pk: partitionOf(userId), sk: id });
const deliveryKey = (userId: string, id: string) => ({ pk: `DELIVERY#${userId}#${id}`, sk: "RECORD" });
const deliveriesIndex = (userId: string, webhookId: string) => `WEBHOOK#${userId}#${webhookId}`;
const rotationPartition = "WEBHOOKS";

export function createDynamoWebhookRepository(items: ItemOperations): WebhookRepository {
	const read = (userId: string, id: string) => items.get<WebhookItem>(keyOf(userId, id));

	return {
		async create(record) {
			await items.put(
				{ ...keyOf(record.userId, record.id), data: record, version: 1, gsi2pk: rotationPartition, gsi2sk: record.id },
				{ expression: "attribute_not_exists(pk)" },
			);
			return record;
		},

		async find(userId, id) {
			return (await read(userId, id))?.data;
		},

		async listByUser(userId) {
			const found = await items.query<WebhookItem>({ partition: partitionOf(userId) });
			return found
				.map((item) => item.data)
				.sort((left, right) => left.createdAt - right.createdAt || (left.id < right.id ? -1 : 1));
		},

		async delete(userId, id) {
			const removed = await items.remove(keyOf(userId, id), { expression: "attribute_exists(pk)" });
			if (removed === undefined) return false;
			const deliveries = await items.query<{ pk: string; sk: string }>({
				index: "gsi1",
				partition: deliveriesIndex(userId, id),
			});
			await items.removeMany(deliveries.map(({ pk, sk }) => ({ pk, sk })));
			return true;
		},

		async recordOutcome(userId, id, outcome) {
			// Read, decide, write if unchanged: the failure count decides whether to disable.
			for (let attempt = 0; attempt < 5; attempt += 1) {
				const current = await read(userId, id);
				if (current === undefined) return undefined;
				const webhook = current.data;
				const failures = outcome.succeeded ? 0 : webhook.consecutiveFailures + 1;
				const disable = !outcome.succeeded && failures >= outcome.disableAfter;
				const next: WebhookRecord = {
					...webhook,
					consecutiveFailures: failures,
					enabled: disable ? false : webhook.enabled,
					disabledReason: disable && webhook.enabled ? outcome.disabledReason : webhook.disabledReason,
					updatedAt: outcome.at,
				};
				const written = await items.put(
					{ ...current, ...keyOf(userId, id), data: next, version: current.version + 1 },
					{ expression: "version = :seen", values: { ":seen": current.version } },
				);
				if (written) return next;
			}
			throw new Error("webhook outcome kept colliding with concurrent updates");
		},

		async listWrappedWithOtherKey(masterKeyId, afterId, limit) {
			const found = await items.query<WebhookItem>({
				index: "gsi2",
				partition: rotationPartition,
				...(afterId === undefined ? {} : { sort: { above: afterId } }),
				limit,
				filter: (item) => item.data.masterKeyId !== masterKeyId,
			});
			return found.map((item) => item.data);
		},

		async rewrap(change) {
			const update = setFields({ wrappedKey: change.wrappedKey, masterKeyId: change.masterKeyId });
			const changed = await items.update(keyOf(change.userId, change.id), `${update.expression} ADD version :one`, {
				names: { ...update.names, "#master": "masterKeyId" },
				values: { ...update.values, ":expected": change.expectedMasterKeyId, ":one": 1 },
				condition: "#data.#master = :expected",
			});
			return changed !== undefined;
		},

		async createDelivery(record) {
			await items.put({
				...deliveryKey(record.userId, record.id),
				data: record,
				gsi1pk: deliveriesIndex(record.userId, record.webhookId),
				gsi1sk: record.id,
			});
		},

		async updateDelivery(userId, id, update) {
			const change = setFields({ ...update });
			await items.update(deliveryKey(userId, id), change.expression, {
				names: change.names,
				values: change.values,
				condition: "attribute_exists(pk)",
			});
		},

		async listDeliveries(userId, webhookId, limit) {
			const found = await items.query<{ data: WebhookDeliveryRecord }>({
				index: "gsi1",
				partition: deliveriesIndex(userId, webhookId),
				newestFirst: true,
				limit,
			});
			return found.map((item) => item.data);
		},
	};
}
