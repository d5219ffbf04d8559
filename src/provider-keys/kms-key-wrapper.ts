import { DecryptCommand, DescribeKeyCommand, EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { KeyServiceUnavailableError, KeyUnwrapError, type KeyWrapper, type WrapContext } from "./key-wrapper.js";

/**
 * AWS KMS as the master key: a record's data key is wrapped by KMS Encrypt and unwrapped by KMS
 * Decrypt, so the master key never leaves KMS. The id stored beside a record is the key ARN
 * Encrypt answers with, so a record stays readable after PARLEY_KMS_KEY_ID changes for as long
 * as the old KMS key exists. Credentials come from the AWS SDK's default chain.
 */
export interface KmsSettings {
	/** PARLEY_KMS_KEY_ID: key id, key ARN, alias name or alias ARN; undefined reads old records only. */
	keyId: string | undefined;
	/** PARLEY_KMS_ENDPOINT: a local or private endpoint instead of AWS's. */
	endpoint: string | undefined;
	/** AWS_REGION; a key ARN names its own region, which then wins. */
	region: string | undefined;
	/** Per attempt, for connecting and for the answer: a slow KMS must give 503, not a hung request. */
	timeoutMs: number;
}

/**
 * KMS errors that mean this record cannot be unwrapped with the key it names (as a missing local
 * key cannot). AccessDeniedException is not one: it is this server's permissions, not the record,
 * so it gives 503 like an unreachable KMS rather than telling users to store their keys again.
 */
const recordErrors = new Set([
	"InvalidCiphertextException",
	"IncorrectKeyException",
	"NotFoundException",
	"DisabledException",
	"KMSInvalidStateException",
]);

/** KMS checks it on Decrypt: a data key moved to another user's or provider's record is refused. */
const encryptionContext = (context: WrapContext): Record<string, string> => ({
	purpose: "parley-provider-key",
	user_id: context.userId,
	provider: context.provider,
});

/** A key ARN, which local master key ids (letters, digits, '.', '_', '-') can never look like. */
export const isKmsKeyArn = (keyId: string): boolean => /^arn:[a-z-]+:kms:/.test(keyId);

const regionOf = (arn: string): string | undefined => arn.split(":")[3] || undefined;

const describe = (error: unknown): string =>
	error instanceof Error ? `${error.name}: ${error.message}` : `unexpected failure: ${String(error)}`;

/** Both attempts and the backoff between them: a last guard, should the per-attempt timeouts not fire. */
const deadline = (settings: KmsSettings) => ({ abortSignal: AbortSignal.timeout(settings.timeoutMs * 3) });

/** One client per region: old records may name keys in another region than the current key. */
function createClients(settings: KmsSettings): (region: string | undefined) => KMSClient {
	const clients = new Map<string, KMSClient>();
	return (region) => {
		const chosen = region ?? settings.region;
		const cacheKey = chosen ?? "";
		let client = clients.get(cacheKey);
		if (client === undefined) {
			client = new KMSClient({
				...(chosen === undefined ? {} : { region: chosen }),
				...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
				maxAttempts: 2,
				// Without throwOnRequestTimeout the SDK only warns and keeps waiting for a silent KMS.
				requestHandler: {
					connectionTimeout: settings.timeoutMs,
					requestTimeout: settings.timeoutMs,
					throwOnRequestTimeout: true,
				},
			});
			clients.set(cacheKey, client);
		}
		return client;
	};
}

/** Decrypt only: reads records wrapped by KMS while the current master key is a local one. */
export function createKmsKeyReader(
	settings: KmsSettings,
	clientFor: (region: string | undefined) => KMSClient = createClients(settings),
): Pick<KeyWrapper, "unwrap"> {
	return {
		async unwrap(keyId, wrappedKey, context) {
			let plaintext: Uint8Array | undefined;
			try {
				const answer = await clientFor(regionOf(keyId)).send(
					// KeyId pins the key: a ciphertext wrapped by another KMS key is refused, not decrypted.
					new DecryptCommand({
						CiphertextBlob: wrappedKey,
						KeyId: keyId,
						EncryptionContext: encryptionContext(context),
					}),
					deadline(settings),
				);
				plaintext = answer.Plaintext;
			} catch (error) {
				if (error instanceof Error && recordErrors.has(error.name)) {
					throw new KeyUnwrapError(`KMS key ${keyId} does not unwrap this data key (${describe(error)})`, keyId);
				}
				throw new KeyServiceUnavailableError(`KMS Decrypt with ${keyId} failed: ${describe(error)}`, { cause: error });
			}
			if (plaintext === undefined)
				throw new KeyServiceUnavailableError(`KMS Decrypt with ${keyId} returned no plaintext`);
			return Buffer.from(plaintext);
		},
	};
}

export function createKmsKeyWrapper(settings: KmsSettings & { keyId: string }): KeyWrapper {
	const clientFor = createClients(settings);
	const configuredRegion = isKmsKeyArn(settings.keyId) ? regionOf(settings.keyId) : undefined;
	const reader = createKmsKeyReader(settings, clientFor);
	let currentArn = isKmsKeyArn(settings.keyId) && !settings.keyId.includes(":alias/") ? settings.keyId : undefined;
	return {
		async currentKeyId() {
			if (currentArn !== undefined) return currentArn;
			try {
				const answer = await clientFor(configuredRegion).send(
					new DescribeKeyCommand({ KeyId: settings.keyId }),
					deadline(settings),
				);
				if (answer.KeyMetadata?.Arn === undefined) throw new Error("DescribeKey returned no key ARN");
				currentArn = answer.KeyMetadata.Arn;
				return currentArn;
			} catch (error) {
				throw new KeyServiceUnavailableError(`KMS DescribeKey of ${settings.keyId} failed: ${describe(error)}`, {
					cause: error,
				});
			}
		},
		async wrap(dataKey, context) {
			try {
				const answer = await clientFor(configuredRegion).send(
					new EncryptCommand({
						KeyId: settings.keyId,
						Plaintext: dataKey,
						EncryptionContext: encryptionContext(context),
					}),
					deadline(settings),
				);
				if (answer.CiphertextBlob === undefined || answer.KeyId === undefined) {
					throw new Error("Encrypt returned no ciphertext or key ARN");
				}
				return { keyId: answer.KeyId, wrappedKey: Buffer.from(answer.CiphertextBlob) };
			} catch (error) {
				// Whatever the reason (KMS down, key disabled, no permission), nothing can be stored now.
				throw new KeyServiceUnavailableError(`KMS Encrypt with ${settings.keyId} failed: ${describe(error)}`, {
					cause: error,
				});
			}
		},
		unwrap: reader.unwrap,
	};
}
