import { describe, expect, it } from "vitest";
import type { Store } from "../../../src/store/store-port.js";
import { anInteraction, baseTime, createUser } from "./fixtures.js";

const day = 86_400_000;
/** 2025-06-15T00:00:00Z; baseTime is 2025-06-15T15:06:40Z. */
const midnight = Date.UTC(2025, 5, 15);

export function describeUsageContract(store: () => Store): void {
	describe("usage", () => {
		/** Three calls of one user over two UTC days and two models, one unpriced; one call of another user. */
		async function seedLedger() {
			const userId = await createUser(store());
			const otherId = await createUser(store());
			const calls = [
				anInteraction(userId, {
					model: "openai/gpt-4o-mini",
					promptTokens: 100,
					completionTokens: 20,
					totalTokens: 120,
					costMicroUsd: 27,
					createdAt: midnight + 1000,
				}),
				anInteraction(userId, {
					model: "openai/gpt-4o-mini",
					promptTokens: 50,
					completionTokens: 10,
					totalTokens: 60,
					costMicroUsd: 14,
					// The last millisecond of the 15th still counts on the 15th.
					createdAt: midnight + day - 1,
				}),
				anInteraction(userId, {
					model: "openai-compatible/llama3.2",
					promptTokens: 7,
					completionTokens: 3,
					totalTokens: 10,
					costMicroUsd: null,
					createdAt: midnight + day,
				}),
				anInteraction(otherId, {
					model: "openai/gpt-4o-mini",
					totalTokens: 999,
					costMicroUsd: 999,
					createdAt: midnight,
				}),
			];
			for (const interaction of calls) await store().interactions.record({ interaction });
			return { userId, otherId };
		}

		it("stores each call's cost, and null for an unpriced one", async () => {
			const userId = await createUser(store());
			const priced = anInteraction(userId, { costMicroUsd: 1234 });
			const unpriced = anInteraction(userId, { costMicroUsd: null });
			await store().interactions.record({ interaction: priced });
			await store().interactions.record({ interaction: unpriced });
			expect((await store().interactions.findById(userId, priced.id))?.costMicroUsd).toBe(1234);
			expect((await store().interactions.findById(userId, unpriced.id))?.costMicroUsd).toBeNull();
		});

		it("sums one user's calls in a half-open range, and nobody else's", async () => {
			const { userId, otherId } = await seedLedger();
			expect(await store().usage.totals(userId, { from: midnight, to: midnight + 2 * day })).toEqual({
				requests: 3,
				promptTokens: 157,
				completionTokens: 33,
				totalTokens: 190,
				costMicroUsd: 41,
				unpricedRequests: 1,
			});
			// `to` is excluded: the call at midnight of the 16th is left out.
			expect(await store().usage.totals(userId, { from: midnight, to: midnight + day })).toMatchObject({
				requests: 2,
				totalTokens: 180,
				costMicroUsd: 41,
				unpricedRequests: 0,
			});
			expect(await store().usage.totals(otherId, { from: midnight, to: midnight + 2 * day })).toMatchObject({
				requests: 1,
				totalTokens: 999,
			});
			expect(await store().usage.totals("nobody", { from: 0, to: baseTime * 2 })).toEqual({
				requests: 0,
				promptTokens: 0,
				completionTokens: 0,
				totalTokens: 0,
				costMicroUsd: 0,
				unpricedRequests: 0,
			});
		});

		it("groups one user's calls by UTC day and by model, in key order", async () => {
			const { userId } = await seedLedger();
			const range = { from: midnight - day, to: midnight + 3 * day };
			expect(await store().usage.summarizeForUser(userId, range, "day")).toEqual([
				{
					key: "2025-06-15",
					requests: 2,
					promptTokens: 150,
					completionTokens: 30,
					totalTokens: 180,
					costMicroUsd: 41,
					unpricedRequests: 0,
				},
				{
					key: "2025-06-16",
					requests: 1,
					promptTokens: 7,
					completionTokens: 3,
					totalTokens: 10,
					costMicroUsd: 0,
					unpricedRequests: 1,
				},
			]);
			const byModel = await store().usage.summarizeForUser(userId, range, "model");
			expect(byModel.map((bucket) => [bucket.key, bucket.requests, bucket.totalTokens])).toEqual([
				["openai-compatible/llama3.2", 1, 10],
				["openai/gpt-4o-mini", 2, 180],
			]);
			expect(await store().usage.summarizeForUser(userId, { from: 0, to: midnight }, "day")).toEqual([]);
		});

		it("groups everyone's calls for operators, by user or for one user", async () => {
			const { userId, otherId } = await seedLedger();
			const range = { from: midnight, to: midnight + 2 * day };
			const byUser = await store().usage.summarizeAll(range, "user");
			expect(byUser.map((bucket) => [bucket.key, bucket.requests, bucket.totalTokens])).toEqual(
				[
					[userId, 3, 190],
					[otherId, 1, 999],
				].sort((left, right) => String(left[0]).localeCompare(String(right[0]))),
			);
			const byModel = await store().usage.summarizeAll(range, "model");
			expect(byModel.find((bucket) => bucket.key === "openai/gpt-4o-mini")).toMatchObject({
				requests: 3,
				totalTokens: 1179,
				costMicroUsd: 1040,
			});
			const onlyOther = await store().usage.summarizeAll(range, "day", otherId);
			expect(onlyOther).toEqual([expect.objectContaining({ key: "2025-06-15", requests: 1, totalTokens: 999 })]);
		});
	});

	describe("budget overrides", () => {
		it("stores, replaces and removes one user's overrides, apart from everyone else's", async () => {
			const userId = await createUser(store());
			const otherId = await createUser(store());
			expect(await store().budgets.find(userId)).toBeUndefined();

			const first = {
				userId,
				dailyTokens: 1000,
				monthlyTokens: null,
				dailyMicroUsd: null,
				monthlyMicroUsd: 2_500_000,
				updatedAt: baseTime,
			};
			await store().budgets.put(first);
			expect(await store().budgets.find(userId)).toEqual(first);
			expect(await store().budgets.find(otherId)).toBeUndefined();

			const second = { ...first, dailyTokens: 0, monthlyTokens: 5000, updatedAt: baseTime + 1 };
			await store().budgets.put(second);
			expect(await store().budgets.find(userId)).toEqual(second);

			await store().budgets.put({
				userId,
				dailyTokens: null,
				monthlyTokens: null,
				dailyMicroUsd: null,
				monthlyMicroUsd: null,
				updatedAt: baseTime + 2,
			});
			expect(await store().budgets.find(userId)).toBeUndefined();
		});
	});
}
