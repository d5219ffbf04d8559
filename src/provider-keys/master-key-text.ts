import { createHash } from "node:crypto";

/**
 * Master keys as operators write them: 32 bytes, base64 (standard or URL-safe) or hex, with an
 * optional id. Parsed once, by the configuration schema, so a bad key stops the start with a
 * readable message instead of failing at the first encryption.
 */

export interface MasterKey {
	/** Stored beside every record it wraps, so the right key is found after a rotation. */
	readonly id: string;
	/** 32 bytes, for AES-256-GCM. */
	readonly key: Buffer;
}

export const masterKeyBytes = 32;
const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

export const masterKeyFormatHint =
	"must be 32 bytes written as base64 (44 characters) or hex (64 characters); generate one with `openssl rand -base64 32`";
export const keyIdFormatHint = "must be 1-64 letters, digits, '.', '_' or '-'";

/** The key's bytes, or undefined when the text is not 32 bytes in base64 or hex. */
export function decodeMasterKey(text: string): Buffer | undefined {
	const trimmed = text.trim();
	if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, "hex");
	if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return undefined;
	const decoded = Buffer.from(trimmed.replaceAll("-", "+").replaceAll("_", "/"), "base64");
	return decoded.length === masterKeyBytes ? decoded : undefined;
}

export const isValidKeyId = (id: string): boolean => keyIdPattern.test(id);

/**
 * An id that names the key without revealing it: a hash of the key under a fixed label, so
 * the same key gets the same id in every process and on every start.
 */
export function derivedKeyId(key: Buffer): string {
	return `mk-${createHash("sha256").update("parley master key id\u0000").update(key).digest("hex").slice(0, 16)}`;
}

/**
 * PARLEY_MASTER_KEY_PREVIOUS: comma-separated `id:key` or bare `key` entries (the id is then
 * derived). Base64 and hex have no ':', so the last ':' separates the id.
 */
export function parsePreviousMasterKeys(text: string): { keys: MasterKey[]; problems: string[] } {
	const keys: MasterKey[] = [];
	const problems: string[] = [];
	const entries = text
		.split(",")
		.map((entry) => entry.trim())
		.filter((entry) => entry.length > 0);
	entries.forEach((entry, index) => {
		const separator = entry.lastIndexOf(":");
		const id = separator === -1 ? undefined : entry.slice(0, separator).trim();
		const key = decodeMasterKey(separator === -1 ? entry : entry.slice(separator + 1));
		if (key === undefined) problems.push(`entry ${index + 1}: the key ${masterKeyFormatHint}`);
		else if (id !== undefined && !isValidKeyId(id)) problems.push(`entry ${index + 1}: the id ${keyIdFormatHint}`);
		else keys.push({ id: id ?? derivedKeyId(key), key });
	});
	return { keys, problems };
}
