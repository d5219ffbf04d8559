import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newId } from "../../src/store/ids.js";
import type { MemoryRecord } from "../../src/store/memory-port.js";
import type { Store } from "../../src/store/store-port.js";
import { aUser, baseTime, collectPages, createUser, malformedCursors } from "./store/fixtures.js";

const embedderId = "test-embedder:4";

/** A unit vector in 4 dimensions, from any non-zero direction. */
function unit(...components: number[]): Float32Array {
	const length = Math.hypot(...components);
	return Float32Array.from(components, (component) => component / length);
}

function aMemory(userId: string, overrides: Partial<MemoryRecord> = {}): MemoryRecord {
	return {
		id: newId(),
		userId,
		text: "Lives in Lisbon",
		kind: "fact",
		sourceInteractionId: null,
		vector: unit(1, 0, 0, 0),
		embedderId,
		createdAt: baseTime,
		updatedAt: baseTime,
		...overrides,
	};
}

/** The memory port's behaviour, for every backend; registered in store.test.ts's adapter loop. */
export function describeMemoryContract(name: string, createFreshStore: () => Promise<Store>): void {
	describe(`memory contract: ${name}`, () => {
		let current: Store | undefined;
		const store = (): Store => {
			if (current === undefined) throw new Error("the store is only available inside a test");
			return current;
		};
		beforeEach(async () => {
			current = await createFreshStore();
		});
		afterEach(async () => {
			await current?.close();
			current = undefined;
		});

		it("creates a memory and reads it back by its owner only, vector intact", async () => {
			const owner = await createUser(store());
			const stranger = await createUser(store());
			const memory = aMemory(owner, { sourceInteractionId: newId(), vector: unit(0.1, -0.2, 0.3, 0.9) });
			const created = await store().memories.create(memory);
			expect(created).toEqual(memory);
			const found = await store().memories.findById(owner, memory.id);
			expect(found).toEqual(memory);
			expect(found?.vector).toBeInstanceOf(Float32Array);
			expect(Array.from(found?.vector ?? [])).toEqual(Array.from(memory.vector));
			expect(await store().memories.findById(stranger, memory.id)).toBeUndefined();
			expect(await store().memories.findById(owner, newId())).toBeUndefined();
		});

		it("tells whether a user has any memory, per user", async () => {
			const owner = await createUser(store());
			const stranger = await createUser(store());
			expect(await store().memories.hasAny(owner)).toBe(false);
			const memory = await store().memories.create(aMemory(owner));
			expect(await store().memories.hasAny(owner)).toBe(true);
			expect(await store().memories.hasAny(stranger)).toBe(false);
			await store().memories.delete(owner, memory.id);
			expect(await store().memories.hasAny(owner)).toBe(false);
		});

		it("lists newest first across pages, without repeats or gaps, and filters by kind", async () => {
			const owner = await createUser(store());
			const ids: string[] = [];
			for (let index = 0; index < 7; index += 1) {
				// Two share each timestamp, so the id must break ties.
				const memory = aMemory(owner, {
					text: `memory ${index}`,
					kind: index % 3 === 0 ? "preference" : "fact",
					createdAt: baseTime + Math.floor(index / 2) * 1000,
				});
				await store().memories.create(memory);
				ids.push(memory.id);
			}
			const pages = await collectPages((cursor) => store().memories.list(owner, { limit: 3, cursor }));
			expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
			expect(pages.flat().map((memory) => memory.id)).toEqual([...ids].reverse());

			const preferences = await collectPages((cursor) =>
				store().memories.list(owner, { limit: 2, cursor, kind: "preference" }),
			);
			expect(preferences.flat().map((memory) => memory.text)).toEqual(["memory 6", "memory 3", "memory 0"]);
			expect(preferences.flat().every((memory) => memory.kind === "preference")).toBe(true);
			const facts = await store().memories.list(owner, { limit: 100, kind: "fact" });
			expect(facts.items).toHaveLength(4);
			expect(facts.nextCursor).toBeNull();
		});

		it("rejects cursors it did not make", async () => {
			const owner = await createUser(store());
			for (const cursor of malformedCursors) {
				await expect(store().memories.list(owner, { limit: 5, cursor })).rejects.toMatchObject({
					name: "InvalidCursorError",
				});
			}
		});

		it("updates text, kind and vector of the owner's memory only", async () => {
			const owner = await createUser(store());
			const stranger = await createUser(store());
			const memory = await store().memories.create(aMemory(owner));
			expect(await store().memories.update(stranger, memory.id, { text: "stolen" }, baseTime + 1)).toBeUndefined();
			expect(await store().memories.update(owner, newId(), { text: "nothing" }, baseTime + 1)).toBeUndefined();

			const updated = await store().memories.update(
				owner,
				memory.id,
				{ text: "Lives in Porto", vector: unit(0, 1, 0, 0), embedderId: "other:4" },
				baseTime + 5000,
			);
			const expected = {
				...memory,
				text: "Lives in Porto",
				vector: unit(0, 1, 0, 0),
				embedderId: "other:4",
				updatedAt: baseTime + 5000,
			};
			expect(updated).toEqual(expected);
			expect(await store().memories.findById(owner, memory.id)).toEqual(expected);

			const rekinded = await store().memories.update(owner, memory.id, { kind: "preference" }, baseTime + 6000);
			expect(rekinded).toEqual({ ...expected, kind: "preference", updatedAt: baseTime + 6000 });
		});

		it("deletes one memory, and all of a user's memories, leaving other users' alone", async () => {
			const owner = await createUser(store());
			const other = await createUser(store());
			const first = await store().memories.create(aMemory(owner));
			await store().memories.create(aMemory(owner, { text: "Prefers short answers", kind: "preference" }));
			const kept = await store().memories.create(aMemory(other));

			expect(await store().memories.delete(other, first.id)).toBe(false);
			expect(await store().memories.delete(owner, first.id)).toBe(true);
			expect(await store().memories.delete(owner, first.id)).toBe(false);
			expect(await store().memories.findById(owner, first.id)).toBeUndefined();

			expect(await store().memories.deleteAll(owner)).toBe(1);
			expect(await store().memories.deleteAll(owner)).toBe(0);
			expect((await store().memories.list(owner, { limit: 10 })).items).toEqual([]);
			expect(await store().memories.nearest(owner, unit(1, 0, 0, 0), embedderId, 10)).toEqual([]);
			expect(await store().memories.findById(other, kept.id)).toEqual(kept);
		});

		it("finds the nearest memories by cosine, best first, within one user and one embedder", async () => {
			const owner = await createUser(store());
			const other = await createUser(store());
			const exact = await store().memories.create(aMemory(owner, { text: "exact", vector: unit(1, 0, 0, 0) }));
			const close = await store().memories.create(aMemory(owner, { text: "close", vector: unit(1, 0.5, 0, 0) }));
			const far = await store().memories.create(aMemory(owner, { text: "far", vector: unit(0, 0, 1, 0) }));
			const opposite = await store().memories.create(aMemory(owner, { text: "opposite", vector: unit(-1, 0, 0, 0) }));
			await store().memories.create(
				aMemory(owner, { text: "other space", vector: unit(1, 0, 0, 0), embedderId: "x:4" }),
			);
			await store().memories.create(aMemory(other, { text: "someone else's", vector: unit(1, 0, 0, 0) }));

			const results = await store().memories.nearest(owner, unit(1, 0.1, 0, 0), embedderId, 10);
			expect(results.map((result) => result.memory.id)).toEqual([exact.id, close.id, far.id, opposite.id]);
			expect(results[0]!.score).toBeCloseTo(0.995, 3);
			expect(results[2]!.score).toBeCloseTo(0, 5);
			expect(results[3]!.score).toBeCloseTo(-0.995, 3);
			for (let index = 1; index < results.length; index += 1) {
				expect(results[index - 1]!.score).toBeGreaterThanOrEqual(results[index]!.score);
			}
			expect(results[0]!.memory).toEqual(exact);

			const top = await store().memories.nearest(owner, unit(0, 0, 1, 0.2), embedderId, 1);
			expect(top.map((result) => result.memory.text)).toEqual(["far"]);
			expect(await store().memories.nearest(owner, unit(1, 0, 0, 0), embedderId, 0)).toEqual([]);
			expect(await store().memories.nearest(owner, unit(1, 0, 0, 0), "unknown:4", 5)).toEqual([]);
		});

		it("lists all memories of one kind, newest first, up to a limit", async () => {
			const owner = await createUser(store());
			const other = await createUser(store());
			for (let index = 0; index < 4; index += 1) {
				await store().memories.create(
					aMemory(owner, { text: `preference ${index}`, kind: "preference", createdAt: baseTime + index }),
				);
			}
			await store().memories.create(aMemory(owner, { text: "a fact" }));
			await store().memories.create(aMemory(other, { text: "not mine", kind: "preference" }));
			const preferences = await store().memories.listByKind(owner, "preference", 3);
			expect(preferences.map((memory) => memory.text)).toEqual(["preference 3", "preference 2", "preference 1"]);
			expect((await store().memories.listByKind(owner, "fact", 10)).map((memory) => memory.text)).toEqual(["a fact"]);
		});

		it("keeps the user's memory switch: created as given, changed by update, untouched by other updates", async () => {
			const enabled = await store().users.create(aUser());
			expect(enabled.memoryEnabled).toBe(true);
			expect((await store().users.findById(enabled.id))?.memoryEnabled).toBe(true);

			const disabled = await store().users.create(aUser({ memoryEnabled: false }));
			expect((await store().users.findById(disabled.id))?.memoryEnabled).toBe(false);

			expect((await store().users.update(enabled.id, { memoryEnabled: false }, baseTime + 1))?.memoryEnabled).toBe(
				false,
			);
			expect((await store().users.update(enabled.id, { name: "Renamed" }, baseTime + 2))?.memoryEnabled).toBe(false);
			expect((await store().users.findById(enabled.id))?.memoryEnabled).toBe(false);
			expect((await store().users.update(enabled.id, { memoryEnabled: true }, baseTime + 3))?.memoryEnabled).toBe(true);
		});
	});
}
