import { z } from "zod";
import { userKeyProviders } from "../../provider-keys/provider-key-service.js";
import { timestamp } from "./common.js";

/** Longest key accepted; real provider keys are 40–200 characters. */
export const maximumProviderKeyLength = 1024;

export const providerParameters = z.strictObject({
	provider: z
		.enum(userKeyProviders)
		.describe("openai, openrouter, gemini, anthropic, or openai-compatible (your own Chat Completions server)"),
});

const baseUrl = z
	.url({ protocol: /^https?$/, error: "must be an http(s) URL" })
	.max(2000)
	.refine((value) => {
		const url = new URL(value);
		return url.username === "" && url.password === "";
	}, "must not carry credentials; send the key as api_key")
	.transform((value) => value.replace(/\/+$/, ""))
	.describe("openai-compatible only: your server's base URL up to the API version, e.g. https://llm.example.com/v1");

export const providerKeyPutBody = z
	.strictObject({
		api_key: z
			.string()
			.min(8, "must be at least 8 characters")
			.max(maximumProviderKeyLength, `must be at most ${maximumProviderKeyLength} characters`)
			// Printable ASCII without spaces: what provider keys are, and all an HTTP header may carry.
			.regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
			.describe("Your key for the provider. Stored encrypted; never shown again (only its last 4 characters)"),
		base_url: baseUrl.optional(),
	})
	.meta({
		examples: [
			{ api_key: "sk-or-v1-0123456789abcdef" },
			{ api_key: "local-key-123456", base_url: "https://llm.example.com/v1" },
		],
	});

const exampleKey = {
	provider: "openrouter",
	last_four: "cdef",
	base_url: null,
	key_id: "mk-3f2a9c1d0b7e6a54",
	created_at: "2026-01-05T10:12:00.000Z",
	updated_at: "2026-01-05T10:12:00.000Z",
} as const;

export const providerKeySchema = z
	.object({
		provider: z.string(),
		last_four: z.string().describe("The key's last 4 characters"),
		base_url: z.string().nullable().describe("openai-compatible: where calls with this key go"),
		key_id: z
			.string()
			.describe(
				"Id of the master key that protects this record: a local key id or an AWS KMS key ARN (changes on rotation)",
			),
		created_at: timestamp,
		updated_at: timestamp,
	})
	.meta({ examples: [exampleKey] });

export const providerKeyListSchema = z
	.object({ data: z.array(providerKeySchema) })
	.meta({ examples: [{ data: [exampleKey] }] });
