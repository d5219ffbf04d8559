import type { InteractionRecord } from "../store-port.js";
import type { UsageBucket, UsageGrouping, UsageRange, UsageRepository, UsageTotals } from "../usage-port.js";
import { ledgerIndex, userInteractionsIndex } from "./dynamodb-conversation-keys.js";
import { type ItemOperations, timeOrderedKey } from "./dynamodb-items.js";

/**
 * Usage sums over the interaction ledger, added up here: DynamoDB has no aggregation. A user's
 * range is one query of their gsi1 listing; the operators' view reads gsi2's per-day ledger
 * partitions for the days the range covers, never a table scan. Reads for reports and budget
 * windows only (budgets are cached), never on the per-request path.
 */

const dayMs = 86_400_000;

export function createDynamoUsageRepository(items: ItemOperations): UsageRepository {
	const sortRange = (range: UsageRange): [string, string] => [
		timeOrderedKey(range.from, ""),
		// Half-open: everything before `to`.
		timeOrderedKey(range.to - 1, "\uffff"),
	];

	async function forUser(userId: string, range: UsageRange): Promise<InteractionRecord[]> {
		if (range.to <= range.from) return [];
		const found = await items.query<{ data: InteractionRecord }>({
			index: "gsi1",
			partition: userInteractionsIndex(userId),
			sort: { between: sortRange(range) },
		});
		return found.map((item) => item.data);
	}

	async function forEveryone(range: UsageRange): Promise<InteractionRecord[]> {
		const all: InteractionRecord[] = [];
		for (let day = Math.floor(range.from / dayMs) * dayMs; day < range.to; day += dayMs) {
			const found = await items.query<{ data: InteractionRecord }>({
				index: "gsi2",
				partition: ledgerIndex(day),
				sort: { between: sortRange(range) },
			});
			for (const item of found) all.push(item.data);
		}
		return all;
	}

	return {
		async totals(userId, range) {
			return sum(await forUser(userId, range));
		},

		async summarizeForUser(userId, range, groupBy) {
			return group(await forUser(userId, range), groupBy);
		},

		async summarizeAll(range, groupBy, userId) {
			return group(userId === undefined ? await forEveryone(range) : await forUser(userId, range), groupBy);
		},
	};
}

function emptyTotals(): UsageTotals {
	return { requests: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0, costMicroUsd: 0, unpricedRequests: 0 };
}

function add(totals: UsageTotals, interaction: InteractionRecord): void {
	totals.requests += 1;
	totals.promptTokens += interaction.promptTokens;
	totals.completionTokens += interaction.completionTokens;
	totals.totalTokens += interaction.totalTokens;
	if (interaction.costMicroUsd === null) totals.unpricedRequests += 1;
	else totals.costMicroUsd += interaction.costMicroUsd;
}

function sum(interactions: InteractionRecord[]): UsageTotals {
	const totals = emptyTotals();
	for (const interaction of interactions) add(totals, interaction);
	return totals;
}

const keyOf: Record<UsageGrouping, (interaction: InteractionRecord) => string> = {
	day: (interaction) => new Date(interaction.createdAt).toISOString().slice(0, 10),
	model: (interaction) => interaction.model,
	user: (interaction) => interaction.userId,
};

/** Buckets in key order by bytes (as the SQL stores order them), empty ones left out. */
function group(interactions: InteractionRecord[], groupBy: UsageGrouping): UsageBucket[] {
	const buckets = new Map<string, UsageTotals>();
	for (const interaction of interactions) {
		const key = keyOf[groupBy](interaction);
		let totals = buckets.get(key);
		if (totals === undefined) {
			totals = emptyTotals();
			buckets.set(key, totals);
		}
		add(totals, interaction);
	}
	return [...buckets.entries()]
		.sort(([left], [right]) => Buffer.compare(Buffer.from(left), Buffer.from(right)))
		.map(([key, totals]) => ({ key, ...totals }));
}
