import { describe, expect, it } from "vitest";
import type { Store } from "../../../src/store/store-port.js";
import { anApiKey, anInteraction, baseTime, createUser, startConversation } from "./fixtures.js";

/** One place that tries every user-scoped operation as a stranger against another user's data. */
export function describeIsolationContract(store: () => Store): void {
	describe("isolation between users", () => {
		it("never lets user B read or change user A's conversations, interactions or API keys", async () => {
			const userA = await createUser(store());
			const userB = await createUser(store());
			const conversationId = await startConversation(store(), userA, { title: "A's secrets" });
			const [turn] = await store().interactions.recentInConversation(userA, conversationId, 1);
			const standalone = anInteraction(userA);
			await store().interactions.record({ interaction: standalone });
			const key = anApiKey(userA);
			await store().apiKeys.create(key);
			const conversationBefore = await store().conversations.findById(userA, conversationId);

			expect(await store().conversations.findById(userB, conversationId)).toBeUndefined();
			expect((await store().conversations.list(userB, { limit: 100 })).items).toEqual([]);
			expect((await store().conversations.list(userB, { limit: 100, titleContains: "secrets" })).items).toEqual([]);
			expect(await store().conversations.updateTitle(userB, conversationId, "Mine now", baseTime + 1)).toBeUndefined();
			expect(await store().conversations.delete(userB, conversationId)).toBe(false);
			await expect(
				store().interactions.record({ interaction: anInteraction(userB, { conversationId }) }),
			).rejects.toThrow();

			expect(await store().interactions.findById(userB, turn!.id)).toBeUndefined();
			expect(await store().interactions.findById(userB, standalone.id)).toBeUndefined();
			expect(await store().interactions.recentInConversation(userB, conversationId, 10)).toEqual([]);
			expect((await store().interactions.list(userB, { limit: 100 })).items).toEqual([]);

			expect(await store().apiKeys.listByUser(userB)).toEqual([]);
			expect(await store().apiKeys.revoke(userB, key.id, baseTime + 1)).toBe(false);

			// A's data is exactly as it was.
			expect(await store().conversations.findById(userA, conversationId)).toEqual(conversationBefore);
			expect(await store().interactions.recentInConversation(userA, conversationId, 10)).toHaveLength(1);
			expect((await store().interactions.list(userA, { limit: 100 })).items).toHaveLength(2);
			expect((await store().apiKeys.findByHash(key.keyHash))?.revokedAt).toBeNull();
		});
	});
}
