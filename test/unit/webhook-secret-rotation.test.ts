import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalKeyWrapper } from "../../src/provider-keys/key-wrapper.js";
import type { MasterKey } from "../../src/provider-keys/master-key-text.js";
import { loadMasterKeys } from "../../src/provider-keys/master-keys.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store-port.js";
import { rewrapWebhookSecrets } from "../../src/webhooks/rewrap-webhook-secrets.js";
import { createWebhookService } from "../../src/webhooks/webhook-service.js";
import { createUser } from "../contract/store/fixtures.js";

// Real: a SQLite file, the AES-256-GCM envelope and local key wrapper, two master keys.

describe("webhook secrets under master key rotation", () => {
	let directory: string;
	let store: Store;
	const first: MasterKey = { id: "first", key: randomBytes(32) };
	const second: MasterKey = { id: "second", key: randomBytes(32) };
	const policy = { allowedHosts: new Set(["127.0.0.1"]) };
	const wrapperOf = async (current: MasterKey, previous: MasterKey[] = []) =>
		createLocalKeyWrapper(
			await loadMasterKeys({
				configured: { masterKey: current, previousMasterKeys: previous },
				dataDirectory: directory,
			}),
		);

	beforeEach(async () => {
		directory = await mkdtemp(path.join(tmpdir(), "parley-webhook-rotation-"));
		store = await createSqliteStore({ filename: path.join(directory, "parley.db") });
	});
	afterEach(async () => {
		await store.close();
		await rm(directory, { recursive: true, force: true });
	});

	it("re-wraps every secret so the old key is no longer needed, and the secret is unchanged", async () => {
		const userId = await createUser(store);
		const before = createWebhookService({ webhooks: store.webhooks, wrapper: await wrapperOf(first), policy });
		const { webhook, secret } = await before.register(userId, {
			url: "http://127.0.0.1:9/hook",
			events: [],
			description: null,
		});

		const onlySecond = createWebhookService({ webhooks: store.webhooks, wrapper: await wrapperOf(second), policy });
		await expect(onlySecond.secretOf(webhook)).rejects.toThrow(/no master key with id first/);
		const blind = await rewrapWebhookSecrets(store.webhooks, await wrapperOf(second));
		expect(blind).toMatchObject({ rewrapped: 0, skipped: 0 });
		expect(blind.unreadable.map((failure) => failure.webhookId)).toEqual([webhook.id]);

		const rotation = await wrapperOf(second, [first]);
		expect(await rewrapWebhookSecrets(store.webhooks, rotation)).toEqual({ rewrapped: 1, unreadable: [], skipped: 0 });
		expect(await rewrapWebhookSecrets(store.webhooks, rotation)).toEqual({ rewrapped: 0, unreadable: [], skipped: 0 });
		const stored = await store.webhooks.find(userId, webhook.id);
		expect(stored?.masterKeyId).toBe("second");
		if (!stored) return;
		expect(await onlySecond.secretOf(stored)).toBe(secret);
	});
});
