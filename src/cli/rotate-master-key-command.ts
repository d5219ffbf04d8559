import type { Config } from "../config.js";
import { createKeyWrapper } from "../provider-keys/key-wrapper-selection.js";
import { addGeneratedMasterKey } from "../provider-keys/master-keys.js";
import { type RewrapResult, rewrapProviderKeys } from "../provider-keys/rewrap-provider-keys.js";
import { createStore } from "../store/create-store.js";
import { rewrapWebhookSecrets, type WebhookRewrapResult } from "../webhooks/rewrap-webhook-secrets.js";

/**
 * Re-wraps every stored provider key's and webhook secret's data key under the current master key. With
 * PARLEY_KMS_KEY_ID that is the KMS key (records of older KMS keys are unwrapped by KMS, records
 * of local keys by the local keys still configured); with PARLEY_MASTER_KEY the configured key
 * (the old one must be in PARLEY_MASTER_KEY_PREVIOUS); with the key kept in DATA_DIR, a new key is
 * generated there first and becomes current.
 */
export async function rotateMasterKeyCommand(
	config: Config,
): Promise<RewrapResult & { webhooks: WebhookRewrapResult; masterKeyId: string; generated: boolean }> {
	const generated = config.providerKeys.kms.keyId === undefined && config.providerKeys.masterKey === undefined;
	if (generated) await addGeneratedMasterKey(config.dataDirectory);
	const wrapper = await createKeyWrapper({ configured: config.providerKeys, dataDirectory: config.dataDirectory });
	const masterKeyId = await wrapper.currentKeyId();
	const store = await createStore(config.databaseUrl);
	try {
		const result = await rewrapProviderKeys(store.providerKeys, wrapper);
		const webhooks = await rewrapWebhookSecrets(store.webhooks, wrapper);
		return { ...result, webhooks, masterKeyId, generated };
	} finally {
		await store.close();
	}
}

export function formatRotation(result: Awaited<ReturnType<typeof rotateMasterKeyCommand>>): string {
	const lines = [
		`${result.generated ? "generated master key" : "current master key"} ${result.masterKeyId}`,
		`re-wrapped ${result.rewrapped} provider key${result.rewrapped === 1 ? "" : "s"}`,
		`re-wrapped ${result.webhooks.rewrapped} webhook secret${result.webhooks.rewrapped === 1 ? "" : "s"}`,
	];
	if (result.skipped > 0) lines.push(`${result.skipped} changed meanwhile (already under the current key)`);
	for (const failure of result.unreadable) {
		lines.push(`could not re-wrap ${failure.provider} key of user ${failure.userId}: ${failure.reason}`);
	}
	for (const failure of result.webhooks.unreadable) {
		lines.push(
			`could not re-wrap the secret of webhook ${failure.webhookId} of user ${failure.userId}: ${failure.reason}`,
		);
	}
	return lines.join("\n");
}
