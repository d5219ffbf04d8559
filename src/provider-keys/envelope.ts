import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { KeyWrapper, WrapContext } from "./key-wrapper.js";

/**
 * Envelope encryption of one secret: a fresh 256-bit data key per record encrypts the secret with
 * AES-256-GCM, and the key wrapper encrypts the data key. Rotating the master key re-wraps data
 * keys only; secrets are never re-encrypted.
 */
export interface SealedSecret {
	ciphertext: Buffer;
	/** 12 random bytes. */
	iv: Buffer;
	/** GCM tag, 16 bytes. */
	authTag: Buffer;
	wrappedKey: Buffer;
	masterKeyId: string;
}

/**
 * What the secret is bound to: authenticated with it, so a row copied to another user or
 * provider, or pointed at another base URL, fails to decrypt instead of sending the key elsewhere.
 */
export interface SecretContext extends WrapContext {
	baseUrl: string | null;
}

export class SecretUnreadableError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = "SecretUnreadableError";
	}
}

const associatedData = (context: SecretContext): Buffer =>
	Buffer.from(
		`parley provider key v1\u0000${context.userId}\u0000${context.provider}\u0000${context.baseUrl ?? ""}`,
		"utf8",
	);

export async function sealSecret(secret: string, context: SecretContext, wrapper: KeyWrapper): Promise<SealedSecret> {
	const dataKey = randomBytes(32);
	try {
		const iv = randomBytes(12);
		const cipher = createCipheriv("aes-256-gcm", dataKey, iv);
		cipher.setAAD(associatedData(context));
		const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
		const { keyId, wrappedKey } = await wrapper.wrap(dataKey, context);
		return { ciphertext, iv, authTag: cipher.getAuthTag(), wrappedKey, masterKeyId: keyId };
	} finally {
		dataKey.fill(0);
	}
}

/** Throws KeyUnwrapError (master key missing or wrong) or SecretUnreadableError (record altered). */
export async function openSecret(sealed: SealedSecret, context: SecretContext, wrapper: KeyWrapper): Promise<string> {
	const dataKey = await wrapper.unwrap(sealed.masterKeyId, sealed.wrappedKey, context);
	try {
		const decipher = createDecipheriv("aes-256-gcm", dataKey, sealed.iv);
		decipher.setAAD(associatedData(context));
		decipher.setAuthTag(sealed.authTag);
		return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString("utf8");
	} catch (error) {
		throw new SecretUnreadableError("the stored secret does not authenticate (altered, or bound to another owner)", {
			cause: error,
		});
	} finally {
		dataKey.fill(0);
	}
}

/** The same data key under the wrapper's current master key (rotation). */
export async function rewrapSecret(
	sealed: SealedSecret,
	context: SecretContext,
	wrapper: KeyWrapper,
): Promise<SealedSecret> {
	const dataKey = await wrapper.unwrap(sealed.masterKeyId, sealed.wrappedKey, context);
	try {
		const { keyId, wrappedKey } = await wrapper.wrap(dataKey, context);
		return { ...sealed, wrappedKey, masterKeyId: keyId };
	} finally {
		dataKey.fill(0);
	}
}
