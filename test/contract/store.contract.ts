import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/store-port.js";
import { describeConversationContract } from "./store/conversations.contract.js";
import { describeApiKeyContract, describeRefreshTokenContract } from "./store/credentials.contract.js";
import { describeInteractionContract } from "./store/interactions.contract.js";
import { describeIsolationContract } from "./store/isolation.contract.js";
import { describeProviderKeyContract } from "./store/provider-keys.contract.js";
import { describeQuestionContract } from "./store/questions.contract.js";
import { describeUsageContract } from "./store/usage.contract.js";
import { describeUserContract } from "./store/users.contract.js";
import { describeWebhookContract } from "./store/webhooks.contract.js";

/**
 * The behaviour every storage backend must show, exercised through the port only. Each test gets
 * a fresh, migrated, empty store from `createFreshStore` and closes it afterwards.
 */
export function describeStoreContract(name: string, createFreshStore: () => Promise<Store>): void {
	describe(`store contract: ${name}`, () => {
		let current: Store | undefined;
		const store = (): Store => {
			if (current === undefined) {
				throw new Error("the store is only available inside a test");
			}
			return current;
		};

		beforeEach(async () => {
			current = await createFreshStore();
		});

		afterEach(async () => {
			await current?.close();
			current = undefined;
		});

		it("answers ping, and migrating again changes nothing", async () => {
			await store().ping();
			await store().migrate();
			await store().migrate();
			expect((await store().conversations.list("nobody", { limit: 1 })).items).toEqual([]);
		});

		describeUserContract(store);
		describeRefreshTokenContract(store);
		describeApiKeyContract(store);
		describeProviderKeyContract(store);
		describeConversationContract(store);
		describeInteractionContract(store);
		describeIsolationContract(store);
		describeUsageContract(store);
		describeQuestionContract(store);
		describeWebhookContract(store);
	});
}
