import type { BudgetOverrideRecord, BudgetRepository } from "../usage-port.js";
import type { ItemOperations } from "./dynamodb-items.js";

/** Per-user budget overrides: `USER#<id>#BUDGET` / `BUDGET`; a record of all-null limits is removed. */

const keyOf = (userId: string) => ({ pk: `USER#${userId}#BUDGET`, sk: "BUDGET" });

export function createDynamoBudgetRepository(items: ItemOperations): BudgetRepository {
	return {
		async find(userId) {
			return (await items.get<{ data: BudgetOverrideRecord }>(keyOf(userId)))?.data;
		},

		async put(record) {
			const limits = [record.dailyTokens, record.monthlyTokens, record.dailyMicroUsd, record.monthlyMicroUsd];
			if (limits.every((limit) => limit === null)) {
				await items.remove(keyOf(record.userId));
				return;
			}
			await items.put({ ...keyOf(record.userId), data: record });
		},
	};
}
