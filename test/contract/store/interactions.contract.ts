import { describe, expect, it } from "vitest";
import { newId } from "../../../src/store/ids.js";
import {
	ConversationMissingError,
	InvalidCursorError,
	type Store,
	StoreConflictError,
} from "../../../src/store/store-port.js";
import { anInteraction, baseTime, collectPages, createUser, malformedCursors, startConversation } from "./fixtures.js";

export function describeInteractionContract(store: () => Store): void {
	describe("interactions", () => {
		it("records an interaction without a conversation and reads it back, fields intact", async () => {
			const userId = await createUser(store());
			const interaction = anInteraction(userId, {
				endpoint: "completions",
				apiKeyId: newId(),
				system: "Be brief.",
				usageEstimated: true,
				requestId: "request-1",
				metadata: { temperature: 0.2, tags: ["a", "b"], nested: { ok: true, none: null } },
			});
			await store().interactions.record({ interaction });
			expect(await store().interactions.findById(userId, interaction.id)).toEqual(interaction);

			const plain = anInteraction(userId, { usageEstimated: false, metadata: null });
			await store().interactions.record({ interaction: plain });
			expect(await store().interactions.findById(userId, plain.id)).toEqual(plain);
		});

		it("finds an interaction only for its owner", async () => {
			const owner = await createUser(store());
			const other = await createUser(store());
			const interaction = anInteraction(owner);
			await store().interactions.record({ interaction });
			expect(await store().interactions.findById(other, interaction.id)).toBeUndefined();
			expect(await store().interactions.findById(owner, newId())).toBeUndefined();
		});

		it("creates the conversation from its first interaction", async () => {
			const userId = await createUser(store());
			const conversationId = newId();
			const interaction = anInteraction(userId, {
				conversationId,
				model: "mock-large",
				promptTokens: 11,
				completionTokens: 7,
				totalTokens: 18,
				createdAt: baseTime + 3,
			});
			await store().interactions.record({
				interaction,
				newConversation: { id: conversationId, title: "Hello", createdAt: baseTime + 3 },
			});
			expect(await store().conversations.findById(userId, conversationId)).toEqual({
				id: conversationId,
				userId,
				title: "Hello",
				model: "mock-large",
				promptTokens: 11,
				completionTokens: 7,
				totalTokens: 18,
				interactionCount: 1,
				createdAt: baseTime + 3,
				updatedAt: baseTime + 3,
			});
			expect(await store().interactions.findById(userId, interaction.id)).toEqual(interaction);
		});

		it("adds each later turn's tokens, count, model and time to the conversation", async () => {
			const userId = await createUser(store());
			const conversationId = await startConversation(store(), userId, { title: "Sums" });
			await store().interactions.record({
				interaction: anInteraction(userId, {
					conversationId,
					model: "mock-large",
					promptTokens: 100,
					completionTokens: 50,
					totalTokens: 150,
					createdAt: baseTime + 60_000,
				}),
			});
			expect(await store().conversations.findById(userId, conversationId)).toMatchObject({
				title: "Sums",
				model: "mock-large",
				promptTokens: 110,
				completionTokens: 53,
				totalTokens: 163,
				interactionCount: 2,
				createdAt: baseTime,
				updatedAt: baseTime + 60_000,
			});
		});

		it("counts every one of many concurrent turns", async () => {
			const userId = await createUser(store());
			const conversationId = await startConversation(store(), userId);
			await Promise.all(
				Array.from({ length: 30 }, (_, index) =>
					store().interactions.record({
						interaction: anInteraction(userId, { conversationId, createdAt: baseTime + 1 + index }),
					}),
				),
			);
			expect(await store().conversations.findById(userId, conversationId)).toMatchObject({
				interactionCount: 31,
				promptTokens: 310,
				completionTokens: 93,
				totalTokens: 403,
			});
		});

		it("refuses a turn in another user's or a missing conversation, writing nothing", async () => {
			const owner = await createUser(store());
			const intruder = await createUser(store());
			const conversationId = await startConversation(store(), owner);
			const before = await store().conversations.findById(owner, conversationId);

			const intrusion = anInteraction(intruder, { conversationId, createdAt: baseTime + 5 });
			await expect(store().interactions.record({ interaction: intrusion })).rejects.toBeInstanceOf(
				ConversationMissingError,
			);
			expect(await store().interactions.findById(intruder, intrusion.id)).toBeUndefined();
			expect(await store().conversations.findById(owner, conversationId)).toEqual(before);
			expect(await store().interactions.recentInConversation(owner, conversationId, 10)).toHaveLength(1);

			const orphan = anInteraction(owner, { conversationId: newId() });
			await expect(store().interactions.record({ interaction: orphan })).rejects.toBeInstanceOf(
				ConversationMissingError,
			);
			expect(await store().interactions.findById(owner, orphan.id)).toBeUndefined();
		});

		it("writes nothing at all when the interaction id is taken", async () => {
			const userId = await createUser(store());
			const conversationId = await startConversation(store(), userId);
			const [existing] = await store().interactions.recentInConversation(userId, conversationId, 1);
			const before = await store().conversations.findById(userId, conversationId);

			const duplicateTurn = store().interactions.record({
				interaction: anInteraction(userId, { id: existing!.id, conversationId, createdAt: baseTime + 1 }),
			});
			await expect(duplicateTurn).rejects.toBeInstanceOf(StoreConflictError);
			expect(await store().conversations.findById(userId, conversationId)).toEqual(before);

			const freshConversationId = newId();
			const duplicateStart = store().interactions.record({
				interaction: anInteraction(userId, { id: existing!.id, conversationId: freshConversationId }),
				newConversation: { id: freshConversationId, title: "Never", createdAt: baseTime },
			});
			await expect(duplicateStart).rejects.toBeInstanceOf(StoreConflictError);
			expect(await store().conversations.findById(userId, freshConversationId)).toBeUndefined();
		});

		it("refuses to start a conversation whose id is taken, writing nothing", async () => {
			const userId = await createUser(store());
			const conversationId = await startConversation(store(), userId, { title: "Original" });
			const interaction = anInteraction(userId, { conversationId });
			const restart = store().interactions.record({
				interaction,
				newConversation: { id: conversationId, title: "Replacement", createdAt: baseTime + 1 },
			});
			await expect(restart).rejects.toMatchObject({ name: "StoreConflictError", field: "id" });
			expect((await store().conversations.findById(userId, conversationId))?.title).toBe("Original");
			expect(await store().interactions.findById(userId, interaction.id)).toBeUndefined();
		});

		it("returns a conversation's newest turns, oldest first, only to its owner", async () => {
			const owner = await createUser(store());
			const other = await createUser(store());
			const conversationId = await startConversation(store(), owner, { interaction: { prompt: "turn 0" } });
			const otherConversation = await startConversation(store(), owner, { interaction: { prompt: "elsewhere" } });
			for (let turn = 1; turn < 5; turn += 1) {
				await store().interactions.record({
					interaction: anInteraction(owner, { conversationId, prompt: `turn ${turn}`, createdAt: baseTime + turn }),
				});
			}
			const prompts = async (userId: string, limit: number) =>
				(await store().interactions.recentInConversation(userId, conversationId, limit)).map((turn) => turn.prompt);
			expect(await prompts(owner, 3)).toEqual(["turn 2", "turn 3", "turn 4"]);
			expect(await prompts(owner, 50)).toEqual(["turn 0", "turn 1", "turn 2", "turn 3", "turn 4"]);
			expect(await prompts(owner, 0)).toEqual([]);
			expect(await prompts(other, 10)).toEqual([]);
			expect(
				(await store().interactions.recentInConversation(owner, otherConversation, 10)).map((turn) => turn.prompt),
			).toEqual(["elsewhere"]);
		});

		it("lists a user's interactions newest first, paging through ties without duplicates or gaps", async () => {
			const owner = await createUser(store());
			const other = await createUser(store());
			const conversationId = await startConversation(store(), owner, { at: baseTime });
			const ids = [(await store().interactions.recentInConversation(owner, conversationId, 1))[0]!.id];
			for (let index = 0; index < 7; index += 1) {
				const interaction = anInteraction(owner, {
					conversationId: index % 2 === 0 ? null : conversationId,
					createdAt: baseTime + (index < 4 ? 0 : index),
				});
				await store().interactions.record({ interaction });
				ids.push(interaction.id);
			}
			await store().interactions.record({ interaction: anInteraction(other) });

			for (const limit of [1, 3, 8, 100]) {
				const pages = await collectPages((cursor) => store().interactions.list(owner, { limit, cursor }));
				const listed = pages.flat();
				expect(listed.map((interaction) => interaction.id).sort()).toEqual([...ids].sort());
				expect(pages.length).toBe(Math.ceil(8 / limit));
				expect(listed.every((interaction) => interaction.userId === owner)).toBe(true);
				const timestamps = listed.map((interaction) => interaction.createdAt);
				expect(timestamps).toEqual([...timestamps].sort((left, right) => right - left));
			}
			expect((await store().interactions.list(other, { limit: 100 })).items).toHaveLength(1);
		});

		it("rejects malformed cursors", async () => {
			const owner = await createUser(store());
			for (const cursor of malformedCursors) {
				await expect(store().interactions.list(owner, { limit: 10, cursor })).rejects.toBeInstanceOf(
					InvalidCursorError,
				);
			}
		});
	});
}
