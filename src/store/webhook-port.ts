/**
 * Users' webhooks and their delivery log. Every read or change takes the owner's user id and
 * matches on it, like every other repository of the store port.
 */

export interface WebhookRecord {
	id: string;
	userId: string;
	url: string;
	/** Event types this webhook receives; empty means every type. */
	events: string[];
	description: string | null;
	/** The signing secret, envelope-encrypted (src/provider-keys/envelope.ts): it must be usable for signing. */
	secretCiphertext: Uint8Array;
	secretIv: Uint8Array;
	secretAuthTag: Uint8Array;
	wrappedKey: Uint8Array;
	masterKeyId: string;
	enabled: boolean;
	/** Deliveries that failed in a row (every attempt used); reset by a success. */
	consecutiveFailures: number;
	disabledReason: string | null;
	createdAt: number;
	updatedAt: number;
}

export type WebhookDeliveryStatus = "pending" | "succeeded" | "failed";

export interface WebhookDeliveryRecord {
	id: string;
	webhookId: string;
	userId: string;
	eventId: string;
	eventType: string;
	status: WebhookDeliveryStatus;
	attempts: number;
	/** HTTP status of the last attempt; null when it got no response. */
	responseStatus: number | null;
	/** Why the last attempt failed (network error, refused target, HTTP status). */
	error: string | null;
	createdAt: number;
	updatedAt: number;
}

export interface WebhookDeliveryUpdate {
	status: WebhookDeliveryStatus;
	attempts: number;
	responseStatus: number | null;
	error: string | null;
	updatedAt: number;
}

export interface WebhookRepository {
	create(record: WebhookRecord): Promise<WebhookRecord>;
	find(userId: string, id: string): Promise<WebhookRecord | undefined>;
	/** Oldest first. */
	listByUser(userId: string): Promise<WebhookRecord[]>;
	/** Deletes the webhook and its delivery log; false when the user has no such webhook. */
	delete(userId: string, id: string): Promise<boolean>;
	/**
	 * Counts a finished delivery: a success resets the failure count; a failure increments it and
	 * disables the webhook (with `disabledReason`) once it reaches `disableAfter`. Returns the webhook.
	 */
	recordOutcome(
		userId: string,
		id: string,
		outcome: { succeeded: boolean; disableAfter: number; disabledReason: string; at: number },
	): Promise<WebhookRecord | undefined>;
	/** Master key rotation: webhooks whose secret is wrapped by another key, by id after `afterId`. */
	listWrappedWithOtherKey(masterKeyId: string, afterId: string | undefined, limit: number): Promise<WebhookRecord[]>;
	/** Replaces the wrapped data key when the record is still wrapped by `expectedMasterKeyId`; false otherwise. */
	rewrap(change: {
		userId: string;
		id: string;
		expectedMasterKeyId: string;
		wrappedKey: Uint8Array;
		masterKeyId: string;
	}): Promise<boolean>;
	createDelivery(record: WebhookDeliveryRecord): Promise<void>;
	updateDelivery(userId: string, id: string, update: WebhookDeliveryUpdate): Promise<void>;
	/** Newest first, at most `limit`. */
	listDeliveries(userId: string, webhookId: string, limit: number): Promise<WebhookDeliveryRecord[]>;
}
