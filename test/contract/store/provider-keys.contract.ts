import { describe, expect, it } from "vitest";
import type { ProviderKeyRecord } from "../../../src/store/provider-key-port.js";
import type { Store } from "../../../src/store/store-port.js";
import { baseTime, createUser } from "./fixtures.js";

const bytes = (text: string) => new Uint8Array(Buffer.from(text));

function aProviderKey(userId: string, provider: string, overrides: Partial<ProviderKeyRecord> = {}): ProviderKeyRecord {
	return {
		userId,
		provider,
		ciphertext: bytes(`cipher-${provider}`),
		iv: bytes("iv-twelve-by"),
		authTag: bytes("tag-sixteen-byte"),
		wrappedKey: bytes(`wrapped-${provider}`),
		masterKeyId: "k1",
		lastFour: "abcd",
		baseUrl: null,
		createdAt: baseTime,
		updatedAt: baseTime,
		...overrides,
	};
}

const plain = (record: ProviderKeyRecord | undefined) =>
	record && {
		...record,
		ciphertext: Buffer.from(record.ciphertext).toString(),
		wrappedKey: Buffer.from(record.wrappedKey).toString(),
		iv: Buffer.from(record.iv).toString(),
		authTag: Buffer.from(record.authTag).toString(),
	};

export function describeProviderKeyContract(store: () => Store): void {
	describe("provider keys", () => {
		it("stores a key per user and provider, returns its bytes, and replaces it keeping createdAt", async () => {
			const userId = await createUser(store());
			const first = aProviderKey(userId, "openai");
			expect(plain(await store().providerKeys.put(first))).toEqual(plain(first));
			expect(plain(await store().providerKeys.find(userId, "openai"))).toEqual(plain(first));
			const replacement = aProviderKey(userId, "openai", {
				ciphertext: bytes("cipher-2"),
				lastFour: "wxyz",
				masterKeyId: "k2",
				createdAt: baseTime + 50,
				updatedAt: baseTime + 50,
			});
			const stored = await store().providerKeys.put(replacement);
			expect(plain(stored)).toEqual(plain({ ...replacement, createdAt: baseTime }));
			expect(await store().providerKeys.find(userId, "gemini")).toBeUndefined();
		});

		it("lists and deletes only the owner's keys", async () => {
			const owner = await createUser(store());
			const other = await createUser(store());
			await store().providerKeys.put(aProviderKey(owner, "openrouter"));
			await store().providerKeys.put(aProviderKey(owner, "anthropic"));
			await store().providerKeys.put(aProviderKey(other, "openrouter"));
			expect((await store().providerKeys.listByUser(owner)).map((key) => key.provider)).toEqual([
				"anthropic",
				"openrouter",
			]);
			expect(await store().providerKeys.delete(other, "anthropic")).toBe(false);
			expect(await store().providerKeys.delete(owner, "openrouter")).toBe(true);
			expect(await store().providerKeys.delete(owner, "openrouter")).toBe(false);
			expect(await store().providerKeys.find(other, "openrouter")).toBeDefined();
			expect((await store().providerKeys.listByUser(owner)).map((key) => key.provider)).toEqual(["anthropic"]);
		});

		it("pages through records under other master keys and re-wraps only unchanged ones", async () => {
			const users = [await createUser(store()), await createUser(store())].sort();
			for (const userId of users) {
				await store().providerKeys.put(aProviderKey(userId, "openai"));
				await store().providerKeys.put(aProviderKey(userId, "openrouter", { masterKeyId: "k2" }));
			}
			const firstPage = await store().providerKeys.listWrappedWithOtherKey("k2", undefined, 1);
			expect(firstPage.map((key) => [key.userId, key.provider])).toEqual([[users[0], "openai"]]);
			const rest = await store().providerKeys.listWrappedWithOtherKey(
				"k2",
				{ userId: users[0] as string, provider: "openai" },
				10,
			);
			expect(rest.map((key) => [key.userId, key.provider])).toEqual([[users[1], "openai"]]);

			const change = {
				userId: users[0] as string,
				provider: "openai",
				expectedMasterKeyId: "k1",
				expectedUpdatedAt: baseTime,
				wrappedKey: bytes("rewrapped"),
				masterKeyId: "k2",
			};
			expect(await store().providerKeys.rewrap({ ...change, expectedUpdatedAt: baseTime + 1 })).toBe(false);
			expect(await store().providerKeys.rewrap(change)).toBe(true);
			expect(await store().providerKeys.rewrap(change)).toBe(false);
			const rewrapped = await store().providerKeys.find(users[0] as string, "openai");
			expect(rewrapped?.masterKeyId).toBe("k2");
			expect(Buffer.from(rewrapped?.wrappedKey ?? []).toString()).toBe("rewrapped");
			expect(Buffer.from(rewrapped?.ciphertext ?? []).toString()).toBe("cipher-openai");
			expect(await store().providerKeys.listWrappedWithOtherKey("k2", undefined, 10)).toHaveLength(1);
		});
	});
}
