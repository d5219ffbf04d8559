import { describe, expect, it } from "vitest";
import { newId } from "../../../src/store/ids.js";
import { InvalidCursorError, type Store } from "../../../src/store/store-port.js";
import { anInteraction, baseTime, collectPages, createUser, malformedCursors, startConversation } from "./fixtures.js";

export function describeConversationContract(store: () => Store): void {
	describe("conversations", () => {
		it("finds a conversation only for its owner", async () => {
			const owner = await createUser(store());
			const other = await createUser(store());
			const id = await startConversation(store(), owner, { title: "Mine" });
			expect(await store().conversations.findById(owner, id)).toMatchObject({ id, userId: owner, title: "Mine" });
			expect(await store().conversations.findById(other, id)).toBeUndefined();
			expect(await store().conversations.findById(owner, newId())).toBeUndefined();
		});

		it("renames a conversation only for its owner", async () => {
			const owner = await createUser(store());
			const other = await createUser(store());
			const id = await startConversation(store(), owner, { title: "Before" });
			expect(await store().conversations.updateTitle(other, id, "Hijacked", baseTime + 5)).toBeUndefined();
			expect((await store().conversations.findById(owner, id))?.title).toBe("Before");

			const renamed = await store().conversations.updateTitle(owner, id, "After", baseTime + 9);
			expect(renamed).toMatchObject({ id, title: "After", updatedAt: baseTime + 9, createdAt: baseTime });
			expect(await store().conversations.findById(owner, id)).toEqual(renamed);
			expect(await store().conversations.updateTitle(owner, newId(), "Nothing", baseTime)).toBeUndefined();
		});

		it("deletes a conversation with all its interactions, only for its owner", async () => {
			const owner = await createUser(store());
			const other = await createUser(store());
			const id = await startConversation(store(), owner);
			const followUp = anInteraction(owner, { conversationId: id, createdAt: baseTime + 1 });
			await store().interactions.record({ interaction: followUp });
			const standalone = anInteraction(owner);
			await store().interactions.record({ interaction: standalone });

			expect(await store().conversations.delete(other, id)).toBe(false);
			expect(await store().interactions.recentInConversation(owner, id, 10)).toHaveLength(2);

			expect(await store().conversations.delete(owner, id)).toBe(true);
			expect(await store().conversations.findById(owner, id)).toBeUndefined();
			expect(await store().interactions.findById(owner, followUp.id)).toBeUndefined();
			expect(await store().interactions.recentInConversation(owner, id, 10)).toEqual([]);
			expect(await store().interactions.findById(owner, standalone.id)).toBeDefined();
			expect(await store().conversations.delete(owner, id)).toBe(false);
		});

		it("lists the most recently updated first, only the user's", async () => {
			const owner = await createUser(store());
			const other = await createUser(store());
			const first = await startConversation(store(), owner, { at: baseTime + 1 });
			const second = await startConversation(store(), owner, { at: baseTime + 2 });
			const third = await startConversation(store(), owner, { at: baseTime + 3 });
			await startConversation(store(), other, { at: baseTime + 4 });
			// A new turn in the oldest conversation brings it to the top.
			await store().interactions.record({
				interaction: anInteraction(owner, { conversationId: first, createdAt: baseTime + 10 }),
			});
			const page = await store().conversations.list(owner, { limit: 10 });
			expect(page.items.map((conversation) => conversation.id)).toEqual([first, third, second]);
			expect(page.nextCursor).toBeNull();
			expect((await store().conversations.list(newId(), { limit: 10 })).items).toEqual([]);
		});

		it("pages without duplicates or gaps when timestamps tie", async () => {
			const owner = await createUser(store());
			const ids = new Set<string>();
			for (let index = 0; index < 8; index += 1) {
				// The first five share one timestamp; the id must break the tie.
				ids.add(await startConversation(store(), owner, { at: baseTime + (index < 5 ? 0 : index) }));
			}
			for (const limit of [1, 2, 3, 8]) {
				const pages = await collectPages((cursor) => store().conversations.list(owner, { limit, cursor }));
				const listed = pages.flat();
				expect(listed.map((conversation) => conversation.id).sort()).toEqual([...ids].sort());
				expect(pages.length).toBe(Math.ceil(8 / limit));
				expect(pages.every((page) => page.length <= limit)).toBe(true);
				const timestamps = listed.map((conversation) => conversation.updatedAt);
				expect(timestamps).toEqual([...timestamps].sort((left, right) => right - left));
			}
		});

		it("ends with a null cursor, not an empty page, when the last page is full", async () => {
			const owner = await createUser(store());
			for (let index = 0; index < 4; index += 1) {
				await startConversation(store(), owner, { at: baseTime + index });
			}
			const first = await store().conversations.list(owner, { limit: 2 });
			expect(first.nextCursor).not.toBeNull();
			const second = await store().conversations.list(owner, { limit: 2, cursor: first.nextCursor! });
			expect(second.items).toHaveLength(2);
			expect(second.nextCursor).toBeNull();
		});

		it("filters by a case-insensitive title substring, taking % and _ literally", async () => {
			const owner = await createUser(store());
			const other = await createUser(store());
			const titles = ["Trip to ÉCOLE planning", "école notes", "100% done", "1000 done", "snake_case", "snakeXcase"];
			const idsByTitle = new Map<string, string>();
			for (const [index, title] of titles.entries()) {
				idsByTitle.set(title, await startConversation(store(), owner, { title, at: baseTime + index }));
			}
			await startConversation(store(), other, { title: "école of someone else" });
			const titlesMatching = async (titleContains: string) =>
				(await store().conversations.list(owner, { limit: 100, titleContains })).items.map((item) => item.title);

			expect(await titlesMatching("École")).toEqual(["école notes", "Trip to ÉCOLE planning"]);
			expect(await titlesMatching("0%")).toEqual(["100% done"]);
			expect(await titlesMatching("e_c")).toEqual(["snake_case"]);
			expect(await titlesMatching("nothing like it")).toEqual([]);

			const pages = await collectPages((cursor) =>
				store().conversations.list(owner, { limit: 1, cursor, titleContains: "DONE" }),
			);
			expect(pages.flat().map((item) => item.id)).toEqual([idsByTitle.get("1000 done"), idsByTitle.get("100% done")]);
		});

		it("rejects malformed cursors and out-of-range limits", async () => {
			const owner = await createUser(store());
			for (const cursor of malformedCursors) {
				await expect(store().conversations.list(owner, { limit: 10, cursor })).rejects.toBeInstanceOf(
					InvalidCursorError,
				);
			}
			await expect(store().conversations.list(owner, { limit: 0 })).rejects.toThrow();
			await expect(store().conversations.list(owner, { limit: 101 })).rejects.toThrow();
		});
	});
}
