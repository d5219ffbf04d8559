import { describe, expect, it } from "vitest";
import { newId } from "../../../src/store/ids.js";
import type { Store } from "../../../src/store/store-port.js";
import { anApiKey, aRefreshToken, baseTime, createUser } from "./fixtures.js";

export function describeRefreshTokenContract(store: () => Store): void {
	describe("refresh tokens", () => {
		it("stores a token and finds it by hash", async () => {
			const userId = await createUser(store());
			const token = aRefreshToken(userId);
			await store().refreshTokens.create(token);
			expect(await store().refreshTokens.findByHash(token.tokenHash)).toEqual({
				...token,
				usedAt: null,
				revokedAt: null,
			});
			expect(await store().refreshTokens.findByHash("no-such-hash")).toBeUndefined();
		});

		it("consumes a token once; later attempts get already-used", async () => {
			const userId = await createUser(store());
			const token = aRefreshToken(userId);
			await store().refreshTokens.create(token);
			expect(await store().refreshTokens.consume(token.id, baseTime + 5)).toBe("consumed");
			expect(await store().refreshTokens.consume(token.id, baseTime + 6)).toBe("already-used");
			expect((await store().refreshTokens.findByHash(token.tokenHash))?.usedAt).toBe(baseTime + 5);
		});

		it("reports missing for an unknown id and revoked for a revoked token, used or not", async () => {
			const userId = await createUser(store());
			expect(await store().refreshTokens.consume(newId(), baseTime)).toBe("missing");

			const unused = aRefreshToken(userId);
			const used = aRefreshToken(userId, { familyId: unused.familyId });
			await store().refreshTokens.create(unused);
			await store().refreshTokens.create(used);
			expect(await store().refreshTokens.consume(used.id, baseTime + 1)).toBe("consumed");
			await store().refreshTokens.revokeFamily(unused.familyId, baseTime + 2);

			expect(await store().refreshTokens.consume(unused.id, baseTime + 3)).toBe("revoked");
			expect(await store().refreshTokens.consume(used.id, baseTime + 3)).toBe("revoked");
			expect(await store().refreshTokens.findByHash(unused.tokenHash)).toMatchObject({
				usedAt: null,
				revokedAt: baseTime + 2,
			});
		});

		it("lets exactly one of many concurrent consumes of one token succeed", async () => {
			const userId = await createUser(store());
			const token = aRefreshToken(userId);
			await store().refreshTokens.create(token);
			const outcomes = await Promise.all(
				Array.from({ length: 20 }, (_, index) => store().refreshTokens.consume(token.id, baseTime + index)),
			);
			expect(outcomes.filter((outcome) => outcome === "consumed")).toHaveLength(1);
			expect(outcomes.filter((outcome) => outcome === "already-used")).toHaveLength(19);
		});

		it("revokes one family only, keeping the first revocation time", async () => {
			const userId = await createUser(store());
			const family = aRefreshToken(userId);
			const sibling = aRefreshToken(userId, { familyId: family.familyId });
			const otherFamily = aRefreshToken(userId);
			for (const token of [family, sibling, otherFamily]) {
				await store().refreshTokens.create(token);
			}
			await store().refreshTokens.revokeFamily(family.familyId, baseTime + 10);
			await store().refreshTokens.revokeFamily(family.familyId, baseTime + 20);
			expect((await store().refreshTokens.findByHash(family.tokenHash))?.revokedAt).toBe(baseTime + 10);
			expect((await store().refreshTokens.findByHash(sibling.tokenHash))?.revokedAt).toBe(baseTime + 10);
			expect((await store().refreshTokens.findByHash(otherFamily.tokenHash))?.revokedAt).toBeNull();
		});

		it("revokes every token of one user and no one else's", async () => {
			const userA = await createUser(store());
			const userB = await createUser(store());
			const tokensOfA = [aRefreshToken(userA), aRefreshToken(userA)];
			const tokenOfB = aRefreshToken(userB);
			for (const token of [...tokensOfA, tokenOfB]) {
				await store().refreshTokens.create(token);
			}
			await store().refreshTokens.revokeAllForUser(userA, baseTime + 7);
			for (const token of tokensOfA) {
				expect((await store().refreshTokens.findByHash(token.tokenHash))?.revokedAt).toBe(baseTime + 7);
			}
			expect((await store().refreshTokens.findByHash(tokenOfB.tokenHash))?.revokedAt).toBeNull();
			expect(await store().refreshTokens.consume(tokenOfB.id, baseTime + 8)).toBe("consumed");
		});
	});
}

export function describeApiKeyContract(store: () => Store): void {
	describe("API keys", () => {
		it("stores a key and finds it by hash", async () => {
			const userId = await createUser(store());
			const key = anApiKey(userId, { expiresAt: baseTime + 1000 });
			await store().apiKeys.create(key);
			expect(await store().apiKeys.findByHash(key.keyHash)).toEqual({ ...key, lastUsedAt: null, revokedAt: null });
			expect(await store().apiKeys.findByHash("no-such-hash")).toBeUndefined();
		});

		it("lists a user's unrevoked keys, newest first, and only theirs", async () => {
			const userA = await createUser(store());
			const userB = await createUser(store());
			const oldest = anApiKey(userA, { createdAt: baseTime + 1 });
			const newest = anApiKey(userA, { createdAt: baseTime + 3 });
			const middle = anApiKey(userA, { createdAt: baseTime + 2 });
			const revoked = anApiKey(userA, { createdAt: baseTime + 4 });
			const ofB = anApiKey(userB, { createdAt: baseTime + 5 });
			for (const key of [oldest, newest, middle, revoked, ofB]) {
				await store().apiKeys.create(key);
			}
			expect(await store().apiKeys.revoke(userA, revoked.id, baseTime + 10)).toBe(true);
			const listed = await store().apiKeys.listByUser(userA);
			expect(listed.map((key) => key.id)).toEqual([newest.id, middle.id, oldest.id]);
			expect((await store().apiKeys.listByUser(userB)).map((key) => key.id)).toEqual([ofB.id]);
			expect(await store().apiKeys.listByUser(newId())).toEqual([]);
		});

		it("revokes a key once, only for its owner; findByHash still returns it", async () => {
			const owner = await createUser(store());
			const intruder = await createUser(store());
			const key = anApiKey(owner);
			await store().apiKeys.create(key);

			expect(await store().apiKeys.revoke(intruder, key.id, baseTime + 1)).toBe(false);
			expect((await store().apiKeys.findByHash(key.keyHash))?.revokedAt).toBeNull();
			expect(await store().apiKeys.listByUser(owner)).toHaveLength(1);

			expect(await store().apiKeys.revoke(owner, key.id, baseTime + 2)).toBe(true);
			expect(await store().apiKeys.revoke(owner, key.id, baseTime + 3)).toBe(false);
			expect(await store().apiKeys.revoke(owner, newId(), baseTime + 3)).toBe(false);
			expect(await store().apiKeys.findByHash(key.keyHash)).toMatchObject({ id: key.id, revokedAt: baseTime + 2 });
		});

		it("records the last use, never moving it back", async () => {
			const userId = await createUser(store());
			const key = anApiKey(userId);
			await store().apiKeys.create(key);
			await store().apiKeys.touch(key.id, baseTime + 50);
			expect((await store().apiKeys.findByHash(key.keyHash))?.lastUsedAt).toBe(baseTime + 50);
			await store().apiKeys.touch(key.id, baseTime + 40);
			expect((await store().apiKeys.findByHash(key.keyHash))?.lastUsedAt).toBe(baseTime + 50);
			await store().apiKeys.touch(key.id, baseTime + 60);
			expect((await store().apiKeys.findByHash(key.keyHash))?.lastUsedAt).toBe(baseTime + 60);
		});
	});
}
