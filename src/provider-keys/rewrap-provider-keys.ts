import type { ProviderKeyRepository } from "../store/provider-key-port.js";
import { rewrapSecret } from "./envelope.js";
import { KeyUnwrapError, type KeyWrapper } from "./key-wrapper.js";

export interface RewrapResult {
	/** Records now wrapped by the current master key. */
	rewrapped: number;
	/** Records whose master key is unknown or wrong; they stay as they were. */
	unreadable: Array<{ userId: string; provider: string; masterKeyId: string; reason: string }>;
	/** Records changed by their owner meanwhile (already under the current key). */
	skipped: number;
}

const pageSize = 100;

/**
 * Re-wraps every record's data key under the wrapper's current master key. Secrets are not
 * re-encrypted: the data key inside each wrap stays the same. Safe to interrupt and run again.
 * A key service that stops answering (KeyServiceUnavailableError) ends the run: nothing is lost,
 * and the next run continues with the records still under another key.
 */
export async function rewrapProviderKeys(
	repository: ProviderKeyRepository,
	wrapper: KeyWrapper,
): Promise<RewrapResult> {
	const result: RewrapResult = { rewrapped: 0, unreadable: [], skipped: 0 };
	let after: { userId: string; provider: string } | undefined;
	const currentKeyId = await wrapper.currentKeyId();
	for (;;) {
		const page = await repository.listWrappedWithOtherKey(currentKeyId, after, pageSize);
		for (const record of page) {
			try {
				const rewrapped = await rewrapSecret(
					{
						ciphertext: Buffer.from(record.ciphertext),
						iv: Buffer.from(record.iv),
						authTag: Buffer.from(record.authTag),
						wrappedKey: Buffer.from(record.wrappedKey),
						masterKeyId: record.masterKeyId,
					},
					{ userId: record.userId, provider: record.provider, baseUrl: record.baseUrl },
					wrapper,
				);
				const changed = await repository.rewrap({
					userId: record.userId,
					provider: record.provider,
					expectedMasterKeyId: record.masterKeyId,
					expectedUpdatedAt: record.updatedAt,
					wrappedKey: rewrapped.wrappedKey,
					masterKeyId: rewrapped.masterKeyId,
				});
				if (changed) result.rewrapped++;
				else result.skipped++;
			} catch (error) {
				if (!(error instanceof KeyUnwrapError)) throw error;
				result.unreadable.push({
					userId: record.userId,
					provider: record.provider,
					masterKeyId: record.masterKeyId,
					reason: error.message,
				});
			}
		}
		const last = page.at(-1);
		if (last === undefined || page.length < pageSize) return result;
		after = { userId: last.userId, provider: last.provider };
	}
}
