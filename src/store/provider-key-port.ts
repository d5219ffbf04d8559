/**
 * Users' own provider keys (bring your own key), as the storage port sees them: opaque encrypted
 * bytes plus what may be shown. The plaintext key never reaches a store.
 */

export interface ProviderKeyRecord {
	userId: string;
	/** One of the providers a user may bring a key for ("openai", "openrouter", …). */
	provider: string;
	/** AES-256-GCM ciphertext of the key under the record's data key. */
	ciphertext: Uint8Array;
	iv: Uint8Array;
	authTag: Uint8Array;
	/** The data key, wrapped by the master key named below. */
	wrappedKey: Uint8Array;
	masterKeyId: string;
	/** Shown to the owner to tell keys apart. */
	lastFour: string;
	/** openai-compatible only: the user's own server. */
	baseUrl: string | null;
	createdAt: number;
	updatedAt: number;
}

export interface ProviderKeyRewrap {
	userId: string;
	provider: string;
	/** The record is only changed while it still has these (a concurrent PUT wins). */
	expectedMasterKeyId: string;
	expectedUpdatedAt: number;
	wrappedKey: Uint8Array;
	masterKeyId: string;
}

export interface ProviderKeyRepository {
	/** Inserts or replaces the user's key for the provider; a replacement keeps the first createdAt. */
	put(record: ProviderKeyRecord): Promise<ProviderKeyRecord>;
	find(userId: string, provider: string): Promise<ProviderKeyRecord | undefined>;
	/** Ordered by provider. */
	listByUser(userId: string): Promise<ProviderKeyRecord[]>;
	/** False when the user has no key for the provider. */
	delete(userId: string, provider: string): Promise<boolean>;
	/**
	 * Records wrapped by any master key but `masterKeyId`, ordered by (userId, provider), after the
	 * given position: rotation walks them in pages and skips the ones it cannot re-wrap.
	 */
	listWrappedWithOtherKey(
		masterKeyId: string,
		after: { userId: string; provider: string } | undefined,
		limit: number,
	): Promise<ProviderKeyRecord[]>;
	/** False when the record changed or vanished meanwhile. */
	rewrap(change: ProviderKeyRewrap): Promise<boolean>;
}
