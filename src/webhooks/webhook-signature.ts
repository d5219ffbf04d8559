import { createHmac, randomBytes } from "node:crypto";

/**
 * Parley-Webhook-Signature: `v1=` + hex HMAC-SHA256, keyed with the webhook's secret (the whole
 * `whsec_…` string as UTF-8), over `<Parley-Webhook-Timestamp>.<raw body>`. The timestamp is in
 * the signed text so a receiver can refuse old replays; the version prefix lets a later scheme
 * be sent alongside during a migration.
 */
export const signatureHeader = "parley-webhook-signature";
export const timestampHeader = "parley-webhook-timestamp";
export const idHeader = "parley-webhook-id";
export const eventHeader = "parley-webhook-event";

export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString("base64url")}`;

export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
	return `v1=${createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex")}`;
}
