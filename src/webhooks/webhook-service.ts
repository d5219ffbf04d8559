import { AppError, notFound } from "../errors.js";
import { liveEventTypes } from "../notify/notifier-port.js";
import { openSecret, type SecretContext, sealSecret } from "../provider-keys/envelope.js";
import { KeyServiceUnavailableError, type KeyWrapper } from "../provider-keys/key-wrapper.js";
import { newId } from "../store/ids.js";
import type { WebhookDeliveryRecord, WebhookRecord, WebhookRepository } from "../store/webhook-port.js";
import { newWebhookSecret } from "./webhook-signature.js";
import { checkTarget, type TargetPolicy, WebhookTargetRefusedError } from "./webhook-target.js";

export const webhookEventTypes = liveEventTypes;
export const webhooksPerUser = 20;

/** The secret is bound to its webhook and URL: a row copied to another user or URL does not decrypt. */
export const secretContextOf = (webhook: Pick<WebhookRecord, "id" | "userId" | "url">): SecretContext => ({
	userId: webhook.userId,
	provider: `webhook:${webhook.id}`,
	baseUrl: webhook.url,
});

export interface WebhookService {
	/** Returns the webhook and its signing secret, which is never shown again. */
	register(
		userId: string,
		input: { url: string; events: string[]; description: string | null },
	): Promise<{ webhook: WebhookRecord; secret: string }>;
	list(userId: string): Promise<WebhookRecord[]>;
	get(userId: string, id: string): Promise<WebhookRecord>;
	delete(userId: string, id: string): Promise<void>;
	deliveries(userId: string, id: string, limit: number): Promise<WebhookDeliveryRecord[]>;
	secretOf(webhook: WebhookRecord): Promise<string>;
}

export function createWebhookService(options: {
	webhooks: WebhookRepository;
	wrapper: KeyWrapper;
	policy: TargetPolicy;
	now?: () => number;
}): WebhookService {
	const { webhooks, wrapper, policy } = options;
	const now = options.now ?? Date.now;

	async function get(userId: string, id: string): Promise<WebhookRecord> {
		const webhook = await webhooks.find(userId, id);
		if (!webhook) throw notFound("webhook");
		return webhook;
	}

	return {
		async register(userId, input) {
			try {
				await checkTarget(new URL(input.url), policy);
			} catch (error) {
				if (error instanceof WebhookTargetRefusedError) {
					throw new AppError("webhook_target_refused", { detail: error.message });
				}
				throw error;
			}
			if ((await webhooks.listByUser(userId)).length >= webhooksPerUser) {
				throw new AppError("webhook_limit_reached", { detail: `at most ${webhooksPerUser} webhooks per user` });
			}
			const id = newId();
			const secret = newWebhookSecret();
			const sealed = await sealSecret(secret, secretContextOf({ id, userId, url: input.url }), wrapper).catch(
				(error: unknown) => {
					if (!(error instanceof KeyServiceUnavailableError)) throw error;
					throw new AppError("key_service_unavailable", {
						detail: "The webhook's secret cannot be encrypted right now; try again shortly.",
						cause: error,
					});
				},
			);
			const at = now();
			const webhook = await webhooks.create({
				id,
				userId,
				url: input.url,
				events: [...new Set(input.events)],
				description: input.description,
				secretCiphertext: sealed.ciphertext,
				secretIv: sealed.iv,
				secretAuthTag: sealed.authTag,
				wrappedKey: sealed.wrappedKey,
				masterKeyId: sealed.masterKeyId,
				enabled: true,
				consecutiveFailures: 0,
				disabledReason: null,
				createdAt: at,
				updatedAt: at,
			});
			return { webhook, secret };
		},
		list: (userId) => webhooks.listByUser(userId),
		get,
		async delete(userId, id) {
			if (!(await webhooks.delete(userId, id))) throw notFound("webhook");
		},
		async deliveries(userId, id, limit) {
			await get(userId, id);
			return webhooks.listDeliveries(userId, id, limit);
		},
		secretOf: (webhook) =>
			openSecret(
				{
					ciphertext: Buffer.from(webhook.secretCiphertext),
					iv: Buffer.from(webhook.secretIv),
					authTag: Buffer.from(webhook.secretAuthTag),
					wrappedKey: Buffer.from(webhook.wrappedKey),
					masterKeyId: webhook.masterKeyId,
				},
				secretContextOf(webhook),
				wrapper,
			),
	};
}
