import { describe, expect, it } from "vitest";
import { newId } from "../../../src/store/ids.js";
import type { Store } from "../../../src/store/store-port.js";
import type { WebhookDeliveryRecord, WebhookRecord } from "../../../src/store/webhook-port.js";
import { baseTime, createUser } from "./fixtures.js";

const bytes = (text: string) => new Uint8Array(Buffer.from(text));

function aWebhook(userId: string, overrides: Partial<WebhookRecord> = {}): WebhookRecord {
	return {
		id: newId(),
		userId,
		url: "https://example.com/hook",
		events: ["question-answered"],
		description: null,
		secretCiphertext: bytes("cipher"),
		secretIv: bytes("iv-twelve-by"),
		secretAuthTag: bytes("tag-sixteen-byte"),
		wrappedKey: bytes("wrapped"),
		masterKeyId: "k1",
		enabled: true,
		consecutiveFailures: 0,
		disabledReason: null,
		createdAt: baseTime,
		updatedAt: baseTime,
		...overrides,
	};
}

function aDelivery(webhook: WebhookRecord, overrides: Partial<WebhookDeliveryRecord> = {}): WebhookDeliveryRecord {
	return {
		id: newId(),
		webhookId: webhook.id,
		userId: webhook.userId,
		eventId: newId(),
		eventType: "question-answered",
		status: "pending",
		attempts: 0,
		responseStatus: null,
		error: null,
		createdAt: baseTime,
		updatedAt: baseTime,
		...overrides,
	};
}

const plain = (record: WebhookRecord | undefined) =>
	record && {
		...record,
		secretCiphertext: Buffer.from(record.secretCiphertext).toString(),
		secretIv: Buffer.from(record.secretIv).toString(),
		secretAuthTag: Buffer.from(record.secretAuthTag).toString(),
		wrappedKey: Buffer.from(record.wrappedKey).toString(),
	};

export function describeWebhookContract(store: () => Store): void {
	describe("webhooks", () => {
		it("stores a webhook with its sealed secret and lists a user's webhooks oldest first", async () => {
			const userId = await createUser(store());
			const first = aWebhook(userId, { events: [], description: "first" });
			const second = aWebhook(userId, { createdAt: baseTime + 1, updatedAt: baseTime + 1 });
			await store().webhooks.create(second);
			await store().webhooks.create(first);
			expect(plain(await store().webhooks.find(userId, first.id))).toEqual(plain(first));
			expect((await store().webhooks.listByUser(userId)).map((webhook) => webhook.id)).toEqual([first.id, second.id]);
		});

		it("never shows or changes another user's webhook or deliveries", async () => {
			const owner = await createUser(store());
			const other = await createUser(store());
			const webhook = aWebhook(owner);
			await store().webhooks.create(webhook);
			const delivery = aDelivery(webhook);
			await store().webhooks.createDelivery(delivery);
			expect(await store().webhooks.find(other, webhook.id)).toBeUndefined();
			expect(await store().webhooks.listByUser(other)).toEqual([]);
			expect(await store().webhooks.listDeliveries(other, webhook.id, 10)).toEqual([]);
			expect(await store().webhooks.delete(other, webhook.id)).toBe(false);
			expect(
				await store().webhooks.recordOutcome(other, webhook.id, {
					succeeded: false,
					disableAfter: 1,
					disabledReason: "x",
					at: baseTime,
				}),
			).toBeUndefined();
			await store().webhooks.updateDelivery(other, delivery.id, {
				status: "failed",
				attempts: 9,
				responseStatus: 500,
				error: "x",
				updatedAt: baseTime,
			});
			// A delivery for a webhook the user does not own is not written.
			await store().webhooks.createDelivery(aDelivery(webhook, { userId: other }));
			expect(await store().webhooks.listDeliveries(owner, webhook.id, 10)).toEqual([delivery]);
			expect((await store().webhooks.find(owner, webhook.id))?.consecutiveFailures).toBe(0);
		});

		it("counts failures in a row, disables at the limit, and resets on success", async () => {
			const userId = await createUser(store());
			const webhook = aWebhook(userId);
			await store().webhooks.create(webhook);
			const fail = (at: number) =>
				store().webhooks.recordOutcome(userId, webhook.id, {
					succeeded: false,
					disableAfter: 2,
					disabledReason: "too many",
					at,
				});
			expect(await fail(baseTime + 1)).toMatchObject({ consecutiveFailures: 1, enabled: true, disabledReason: null });
			const succeeded = await store().webhooks.recordOutcome(userId, webhook.id, {
				succeeded: true,
				disableAfter: 2,
				disabledReason: "too many",
				at: baseTime + 2,
			});
			expect(succeeded).toMatchObject({ consecutiveFailures: 0, enabled: true, updatedAt: baseTime + 2 });
			await fail(baseTime + 3);
			expect(await fail(baseTime + 4)).toMatchObject({
				consecutiveFailures: 2,
				enabled: false,
				disabledReason: "too many",
			});
			expect(await fail(baseTime + 5)).toMatchObject({
				consecutiveFailures: 3,
				enabled: false,
				disabledReason: "too many",
			});
		});

		it("lists webhooks wrapped by another master key and re-wraps only an unchanged record", async () => {
			const userId = await createUser(store());
			const old = aWebhook(userId, { masterKeyId: "old" });
			const current = aWebhook(userId, { masterKeyId: "new" });
			await store().webhooks.create(old);
			await store().webhooks.create(current);
			expect((await store().webhooks.listWrappedWithOtherKey("new", undefined, 10)).map((item) => item.id)).toEqual([
				old.id,
			]);
			expect(await store().webhooks.listWrappedWithOtherKey("new", old.id, 10)).toEqual([]);
			const change = { userId, id: old.id, wrappedKey: bytes("rewrapped"), masterKeyId: "new" };
			expect(await store().webhooks.rewrap({ ...change, expectedMasterKeyId: "other" })).toBe(false);
			expect(await store().webhooks.rewrap({ ...change, userId: "someone-else", expectedMasterKeyId: "old" })).toBe(
				false,
			);
			expect(await store().webhooks.rewrap({ ...change, expectedMasterKeyId: "old" })).toBe(true);
			const stored = await store().webhooks.find(userId, old.id);
			expect(stored?.masterKeyId).toBe("new");
			expect(Buffer.from(stored?.wrappedKey ?? []).toString()).toBe("rewrapped");
			expect(await store().webhooks.listWrappedWithOtherKey("new", undefined, 10)).toEqual([]);
		});

		it("keeps a delivery log, newest first and limited, and deletes it with the webhook", async () => {
			const userId = await createUser(store());
			const webhook = aWebhook(userId);
			await store().webhooks.create(webhook);
			const deliveries = [aDelivery(webhook), aDelivery(webhook), aDelivery(webhook)];
			for (const delivery of deliveries) await store().webhooks.createDelivery(delivery);
			const [first] = deliveries;
			if (!first) throw new Error("no delivery");
			await store().webhooks.updateDelivery(userId, first.id, {
				status: "succeeded",
				attempts: 2,
				responseStatus: 204,
				error: null,
				updatedAt: baseTime + 9,
			});
			const listed = await store().webhooks.listDeliveries(userId, webhook.id, 2);
			expect(listed.map((delivery) => delivery.id)).toEqual([deliveries[2]?.id, deliveries[1]?.id]);
			const all = await store().webhooks.listDeliveries(userId, webhook.id, 10);
			expect(all.at(-1)).toEqual({
				...first,
				status: "succeeded",
				attempts: 2,
				responseStatus: 204,
				updatedAt: baseTime + 9,
			});
			expect(await store().webhooks.delete(userId, webhook.id)).toBe(true);
			expect(await store().webhooks.find(userId, webhook.id)).toBeUndefined();
			expect(await store().webhooks.listDeliveries(userId, webhook.id, 10)).toEqual([]);
		});
	});
}
