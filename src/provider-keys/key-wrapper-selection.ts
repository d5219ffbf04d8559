import { createLocalKeyWrapper, KeyUnwrapError, type KeyWrapper } from "./key-wrapper.js";
import { createKmsKeyReader, createKmsKeyWrapper, isKmsKeyArn, type KmsSettings } from "./kms-key-wrapper.js";
import { loadExistingMasterKeys, loadMasterKeys, type MasterKeyOptions } from "./master-keys.js";

export interface KeyWrapperOptions {
	configured: MasterKeyOptions["configured"] & { kms: KmsSettings };
	dataDirectory: string;
}

/**
 * The wrapper the server and `parley rotate-master-key` use. New records are wrapped by AWS KMS
 * when PARLEY_KMS_KEY_ID is set, else by the local master key. Each record is unwrapped by what
 * its stored key id names (a KMS key ARN or a local key id, which cannot look alike), so records
 * from before a switch either way stay readable until rotation re-wraps them, provided the old
 * side is still reachable: the local keys still configured, or the AWS credentials still valid.
 */
export async function createKeyWrapper(options: KeyWrapperOptions): Promise<KeyWrapper> {
	const { kms } = options.configured;
	if (kms.keyId !== undefined) {
		const ring = await loadExistingMasterKeys(options);
		const current = createKmsKeyWrapper({ ...kms, keyId: kms.keyId });
		return readingEither(current, current, ring === undefined ? undefined : createLocalKeyWrapper(ring));
	}
	const current = createLocalKeyWrapper(await loadMasterKeys(options));
	return readingEither(current, createKmsKeyReader(kms), current);
}

function readingEither(
	current: KeyWrapper,
	kms: Pick<KeyWrapper, "unwrap">,
	local: Pick<KeyWrapper, "unwrap"> | undefined,
): KeyWrapper {
	return {
		currentKeyId: () => current.currentKeyId(),
		wrap: (dataKey, context) => current.wrap(dataKey, context),
		async unwrap(keyId, wrappedKey, context) {
			if (isKmsKeyArn(keyId)) return kms.unwrap(keyId, wrappedKey, context);
			if (local !== undefined) return local.unwrap(keyId, wrappedKey, context);
			throw new KeyUnwrapError(
				`no local master key with id ${keyId}: AWS KMS wraps new records and no local master key is configured (PARLEY_MASTER_KEY, PARLEY_MASTER_KEY_PREVIOUS or DATA_DIR's key file)`,
				keyId,
			);
		},
	};
}
