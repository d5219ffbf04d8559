import { rewrapSecret } from "../provider-keys/envelope.js";
import { KeyUnwrapError, type KeyWrapper } from "../provider-keys/key-wrapper.js";
import type { WebhookRepository } from "../store/webhook-port.js";
import { secretContextOf } from "./webhook-service.js";

export interface WebhookRewrapResult {
	rewrapped: number;
	/** Webhooks whose master key is unknown or wrong; they stay as they were. */
	unreadable: Array<{ userId: string; webhookId: string; masterKeyId: string; reason: string }>;
	/** Webhooks re-wrapped by someone else meanwhile. */
	skipped: number;
}

const pageSize = 100;

/**
 * Master key rotation for webhook signing secrets, as rewrapProviderKeys does for provider keys:
 * only the data key is re-wrapped. Safe to interrupt and run again.
 */
export async function rewrapWebhookSecrets(
	repository: WebhookRepository,
	wrapper: KeyWrapper,
): Promise<WebhookRewrapResult> {
	const result: WebhookRewrapResult = { rewrapped: 0, unreadable: [], skipped: 0 };
	let afterId: string | undefined;
	const currentKeyId = await wrapper.currentKeyId();
	for (;;) {
		const page = await repository.listWrappedWithOtherKey(currentKeyId, afterId, pageSize);
		for (const webhook of page) {
			try {
				const rewrapped = await rewrapSecret(
					{
						ciphertext: Buffer.from(webhook.secretCiphertext),
						iv: Buffer.from(webhook.secretIv),
						authTag: Buffer.from(webhook.secretAuthTag),
						wrappedKey: Buffer.from(webhook.wrappedKey),
						masterKeyId: webhook.masterKeyId,
					},
					secretContextOf(webhook),
					wrapper,
				);
				const changed = await repository.rewrap({
					userId: webhook.userId,
					id: webhook.id,
					expectedMasterKeyId: webhook.masterKeyId,
					wrappedKey: rewrapped.wrappedKey,
					masterKeyId: rewrapped.masterKeyId,
				});
				if (changed) result.rewrapped++;
				else result.skipped++;
			} catch (error) {
				if (!(error instanceof KeyUnwrapError)) throw error;
				result.unreadable.push({
					userId: webhook.userId,
					webhookId: webhook.id,
					masterKeyId: webhook.masterKeyId,
					reason: error.message,
				});
			}
		}
		const last = page.at(-1);
		if (last === undefined || page.length < pageSize) return result;
		afterId = last.id;
	}
}
