import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { MasterKeyRing } from "./master-keys.js";

/**
 * The port that wraps and unwraps per-record data keys. The local implementation below uses
 * master keys held by this process; kms-key-wrapper.ts uses AWS KMS Encrypt/Decrypt, with the KMS
 * key ARN as the key id.
 */
export interface KeyWrapper {
	/** Id of the key new records are wrapped with, as stored beside them (a KMS alias resolves to its ARN). */
	currentKeyId(): Promise<string>;
	wrap(dataKey: Buffer, context: WrapContext): Promise<{ keyId: string; wrappedKey: Buffer }>;
	/**
	 * Throws KeyUnwrapError when the key is unknown or the wrapped bytes do not authenticate, and
	 * KeyServiceUnavailableError when the service holding the key cannot be asked right now.
	 */
	unwrap(keyId: string, wrappedKey: Buffer, context: WrapContext): Promise<Buffer>;
}

/**
 * Whose data key is wrapped. KMS binds it (EncryptionContext, visible in CloudTrail); the local
 * wrapper does not need to, as the secret itself is authenticated with the same values.
 */
export interface WrapContext {
	userId: string;
	provider: string;
}

export class KeyUnwrapError extends Error {
	constructor(
		message: string,
		readonly keyId: string,
	) {
		super(message);
		this.name = "KeyUnwrapError";
	}
}

/** The key service (AWS KMS) did not answer, or not usefully: try again later, the record is fine. */
export class KeyServiceUnavailableError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = "KeyServiceUnavailableError";
	}
}

const ivBytes = 12;
const tagBytes = 16;

/** The id is authenticated with the wrapped key, so a record cannot be relabelled to another key. */
const wrapAssociatedData = (keyId: string): Buffer => Buffer.from(`parley data key v1\u0000${keyId}`, "utf8");

/** AES-256-GCM under a master key: wrapped = IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes). */
export function createLocalKeyWrapper(ring: MasterKeyRing): KeyWrapper {
	const current = ring.current;
	return {
		currentKeyId: async () => current.id,
		async wrap(dataKey) {
			const iv = randomBytes(ivBytes);
			const cipher = createCipheriv("aes-256-gcm", current.key, iv);
			cipher.setAAD(wrapAssociatedData(current.id));
			const encrypted = Buffer.concat([cipher.update(dataKey), cipher.final()]);
			return { keyId: current.id, wrappedKey: Buffer.concat([iv, encrypted, cipher.getAuthTag()]) };
		},
		async unwrap(keyId, wrappedKey) {
			const masterKey = await ring.find(keyId);
			if (masterKey === undefined) {
				throw new KeyUnwrapError(
					`no master key with id ${keyId} (${ring.source}); list retired keys in PARLEY_MASTER_KEY_PREVIOUS`,
					keyId,
				);
			}
			if (wrappedKey.length <= ivBytes + tagBytes) {
				throw new KeyUnwrapError(`the wrapped data key is too short for master key ${keyId}`, keyId);
			}
			try {
				const decipher = createDecipheriv("aes-256-gcm", masterKey.key, wrappedKey.subarray(0, ivBytes));
				decipher.setAAD(wrapAssociatedData(keyId));
				decipher.setAuthTag(wrappedKey.subarray(wrappedKey.length - tagBytes));
				return Buffer.concat([
					decipher.update(wrappedKey.subarray(ivBytes, wrappedKey.length - tagBytes)),
					decipher.final(),
				]);
			} catch (error) {
				throw new KeyUnwrapError(
					`the wrapped data key does not authenticate under master key ${keyId}: ${(error as Error).message}`,
					keyId,
				);
			}
		},
	};
}
