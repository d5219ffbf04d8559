import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KeyValueCache } from "../../src/cache/key-value-cache-port.js";

export interface KeyValueCacheUnderTest {
	cache: KeyValueCache;
	close(): Promise<void>;
}

/** The response cache's storage, for every implementation (memory LRU, SQL table, Redis). */
export function describeKeyValueCacheContract(name: string, create: () => Promise<KeyValueCacheUnderTest>): void {
	describe(`key-value cache contract: ${name}`, () => {
		let underTest: KeyValueCacheUnderTest;
		let cache: KeyValueCache;
		beforeEach(async () => {
			underTest = await create();
			cache = underTest.cache;
		});
		afterEach(async () => underTest.close());

		it("returns what was set, byte for byte, and undefined for unknown keys", async () => {
			const value = JSON.stringify({ text: "Olá — ✓ 🚀", n: 1 });
			await cache.set("exact:abc", value, 60_000);
			expect(await cache.get("exact:abc")).toBe(value);
			expect(await cache.get("exact:unknown")).toBeUndefined();
		});

		it("a second set replaces the value and its expiry", async () => {
			await cache.set("k", "one", 60_000);
			await cache.set("k", "two", 60_000);
			expect(await cache.get("k")).toBe("two");
		});

		it("entries expire after their time to live", async () => {
			await cache.set("short", "gone soon", 150);
			await cache.set("long", "stays", 60_000);
			await new Promise((resolve) => setTimeout(resolve, 300));
			expect(await cache.get("short")).toBeUndefined();
			expect(await cache.get("long")).toBe("stays");
		});
	});
}
