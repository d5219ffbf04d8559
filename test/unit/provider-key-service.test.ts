import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createModelRouter, type ModelRouter } from "../../src/llm/model-router.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { createLocalKeyWrapper } from "../../src/provider-keys/key-wrapper.js";
import { loadMasterKeys } from "../../src/provider-keys/master-keys.js";
import { createProviderKeyService } from "../../src/provider-keys/provider-key-service.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store-port.js";

// Real: a SQLite store in a temporary file, node:crypto, the model router built from configuration.
// The store's provider-key lookups are counted (the real repository, observed), not replaced.

describe("provider key service: lookups on the chat path", () => {
	let directory: string;
	let store: Store;
	let router: ModelRouter;
	let lookups = 0;

	beforeAll(async () => {
		directory = await mkdtemp(path.join(tmpdir(), "parley-provider-key-service-"));
		store = await createSqliteStore({ filename: path.join(directory, "parley.db") });
		const repository = store.providerKeys;
		const find = repository.find.bind(repository);
		repository.find = (userId, provider) => {
			lookups++;
			return find(userId, provider);
		};
		router = createModelRouter({
			config: loadConfig({}, { OPENAI_API_KEY: "sk-server" }).llm,
			metrics: createMetrics({ collectProcessMetrics: false }),
		});
	});
	afterAll(async () => {
		await router.close();
		await store.close();
		await rm(directory, { recursive: true, force: true });
	});

	const service = async (required = false) =>
		createProviderKeyService({
			store,
			wrapper: createLocalKeyWrapper(
				await loadMasterKeys({
					configured: { masterKey: { id: "k", key: randomBytes(32) }, previousMasterKeys: [] },
					dataDirectory: directory,
				}),
			),
			required,
			serverOpenAiCompatibleBaseUrl: false,
		});

	it("costs one lookup for a user without a key, then none; none at all for the mock", async () => {
		const keys = await service();
		const openai = router.resolve("openai/gpt-4o-mini");
		lookups = 0;
		for (let call = 0; call < 5; call++) expect(await keys.credentialsFor("user-1", openai)).toBeUndefined();
		expect(lookups).toBe(1);
		for (let call = 0; call < 5; call++) {
			expect(await keys.credentialsFor("user-1", router.resolve("mock/parley-mock-1"))).toBeUndefined();
		}
		expect(lookups).toBe(1);
	});

	it("decrypts a stored key once, and forgets it at once when it changes or goes", async () => {
		const keys = await service();
		const openai = router.resolve("openai/gpt-4o-mini");
		await keys.credentialsFor("user-2", openai);
		await keys.put("user-2", "openai", { apiKey: "sk-user-two-1234567890" });
		lookups = 0;
		expect(await keys.credentialsFor("user-2", openai)).toEqual({ apiKey: "sk-user-two-1234567890" });
		expect(await keys.credentialsFor("user-2", openai)).toEqual({ apiKey: "sk-user-two-1234567890" });
		expect(lookups).toBe(1);
		await keys.put("user-2", "openai", { apiKey: "sk-user-two-replaced-000" });
		expect(await keys.credentialsFor("user-2", openai)).toEqual({ apiKey: "sk-user-two-replaced-000" });
		await keys.delete("user-2", "openai");
		expect(await keys.credentialsFor("user-2", openai)).toBeUndefined();
		await expect(keys.delete("user-2", "openai")).rejects.toMatchObject({ code: "not_found" });
	});

	it("with BYOK required, refuses users without a key for the provider, but not for the mock", async () => {
		const keys = await service(true);
		await expect(keys.credentialsFor("user-3", router.resolve("openai/gpt-4o-mini"))).rejects.toMatchObject({
			code: "provider_key_required",
			status: 403,
		});
		expect(await keys.credentialsFor("user-3", router.resolve("mock/parley-mock-1"))).toBeUndefined();
	});
});
