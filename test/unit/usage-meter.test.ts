import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Principal } from "../../src/auth/principal.js";
import { AppError } from "../../src/errors.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store-port.js";
import { createBudgetService } from "../../src/usage/budget-service.js";
import { createPriceTable } from "../../src/usage/price-table.js";
import { createUsageMeter, type UsageMeter } from "../../src/usage/usage-meter.js";
import { anInteraction, createUser } from "../contract/store/fixtures.js";

// Real: an in-memory SQLite store; the clock is the test's, so windows can be crossed.
describe("usage meter", () => {
	let store: Store;
	let clock: number;
	let meter: UsageMeter;
	const principal = (userId: string, roles = ["user"]): Principal => ({
		userId,
		email: null,
		username: null,
		roles,
		method: "access-token",
		apiKeyId: null,
		mayActForOthers: false,
	});

	beforeEach(async () => {
		store = await createSqliteStore({ filename: ":memory:" });
		clock = Date.UTC(2026, 10, 23, 23, 0);
		const now = () => clock;
		const budgets = createBudgetService({
			store,
			settings: { defaults: {}, byRole: { limited: { daily_tokens: 100, monthly_tokens: 250 } } },
			now,
		});
		meter = createUsageMeter({ store, budgets, prices: createPriceTable(), now });
	});
	afterEach(() => store.close());

	/** Records a call the way the chat services do: store it, then tell the meter. */
	async function spend(userId: string, totalTokens: number) {
		const interaction = anInteraction(userId, { totalTokens, createdAt: clock });
		await store.interactions.record({ interaction });
		meter.recorded(interaction);
	}

	const refusal = async (check: Promise<void> | undefined) => {
		try {
			await check;
			return undefined;
		} catch (error) {
			expect(error).toBeInstanceOf(AppError);
			return error as AppError;
		}
	};

	it("answers users without limits without waiting once their settings are cached", async () => {
		const userId = await createUser(store);
		await meter.check(principal(userId));
		await spend(userId, 1_000_000);
		expect(meter.check(principal(userId))).toBeUndefined();
	});

	it("reads the window's spend once, counts recorded calls, and resets with the day", async () => {
		const userId = await createUser(store);
		const limited = principal(userId, ["user", "limited"]);
		// Spent before this process started counting: read from the store on the first check.
		await store.interactions.record({
			interaction: anInteraction(userId, { totalTokens: 60, createdAt: clock - 1000 }),
		});
		expect(await refusal(meter.check(limited))).toBeUndefined();
		await spend(userId, 39);
		expect(await refusal(meter.check(limited))).toBeUndefined();
		await spend(userId, 1);

		const daily = await refusal(meter.check(limited));
		expect(daily?.code).toBe("budget_exceeded");
		expect(daily?.extensions).toMatchObject({ limit: "daily_tokens", used: 100, limit_value: 100 });
		// One hour to midnight UTC.
		expect(daily?.headers).toEqual({ "retry-after": "3600" });

		// The next UTC day: the daily limit is fresh, the month still counts the 100 tokens.
		clock += 3_600_000;
		expect(await refusal(meter.check(limited))).toBeUndefined();
		await spend(userId, 100);
		await spend(userId, 50);
		const monthly = await refusal(meter.check(limited));
		expect(monthly?.extensions).toMatchObject({
			limit: "monthly_tokens",
			used: 250,
			exceeded: ["daily_tokens", "monthly_tokens"],
		});
		// The month ends on December 1st: Retry-After points there, not at the next midnight.
		expect(Number(monthly?.headers?.["retry-after"])).toBe((Date.UTC(2026, 11, 1) - clock) / 1000);
	});

	it("keeps each user's totals apart", async () => {
		const first = await createUser(store);
		const second = await createUser(store);
		await meter.check(principal(first, ["limited"]));
		await meter.check(principal(second, ["limited"]));
		await spend(first, 100);
		expect((await refusal(meter.check(principal(first, ["limited"]))))?.code).toBe("budget_exceeded");
		expect(await refusal(meter.check(principal(second, ["limited"])))).toBeUndefined();
	});
});
