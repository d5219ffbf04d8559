import { z } from "zod";
import {
	decodeMasterKey,
	isValidKeyId,
	keyIdFormatHint,
	masterKeyFormatHint,
	parsePreviousMasterKeys,
} from "./master-key-text.js";

/**
 * The master-key settings of config.ts's environment schema. Decoded there, so a malformed key
 * stops the start; no message ever echoes a key.
 */

const trimmedText = z
	.string()
	.optional()
	.transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

export const masterKeySetting = trimmedText.transform((value, context) => {
	if (value === undefined) return undefined;
	const key = decodeMasterKey(value);
	if (key === undefined) {
		context.issues.push({ code: "custom", message: masterKeyFormatHint, input: "[redacted]" });
		return z.NEVER;
	}
	return key;
});

export const masterKeyIdSetting = trimmedText.refine(
	(value) => value === undefined || isValidKeyId(value),
	keyIdFormatHint,
);

export const previousMasterKeysSetting = trimmedText.transform((value, context) => {
	if (value === undefined) return [];
	const { keys, problems } = parsePreviousMasterKeys(value);
	for (const problem of problems) context.issues.push({ code: "custom", message: problem, input: "[redacted]" });
	return problems.length > 0 ? z.NEVER : keys;
});

/** A KMS key id, key ARN, alias name or alias ARN, as AWS accepts it for Encrypt's KeyId. */
export const kmsKeyIdSetting = trimmedText.refine(
	(value) =>
		value === undefined || /^(arn:[a-z-]+:kms:[^\s]+|alias\/[A-Za-z0-9/_-]+|(mrk-)?[A-Za-z0-9-]{1,64})$/.test(value),
	"must be a KMS key id, key ARN, alias name (alias/...) or alias ARN",
);
