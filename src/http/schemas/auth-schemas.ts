import { z } from "zod";
import { timestamp } from "./common.js";

const email = z
	.string()
	.trim()
	.max(254)
	// The HTML5 rule (what browsers accept): zod's default also demands a 2-letter TLD, and the
	// seed documents register "a@b.c".
	.pipe(z.email({ pattern: z.regexes.html5Email }))
	.transform((value) => value.toLowerCase());
const username = z
	.string()
	.trim()
	.regex(/^[A-Za-z0-9_.-]{3,32}$/, "3–32 letters, digits, '.', '_' or '-'");
const password = z.string().min(8, "at least 8 characters").max(256);

export const registerBody = z
	.strictObject({
		email: email.optional(),
		password,
		username: username.optional(),
		name: z.string().trim().min(1).max(200).optional(),
	})
	.refine((body) => body.email !== undefined || body.username !== undefined, {
		message: "send email or username",
		path: ["email"],
	})
	.meta({ examples: [{ username: "alice", email: "alice@example.com", password: "correct horse battery staple" }] });

export const loginBody = z
	.strictObject({
		email: email.optional(),
		username: z.string().trim().min(1).max(254).optional(),
		password: z.string().min(1).max(256).optional().describe("Omit only for development login (AUTH_DEV_LOGIN=true)"),
	})
	.refine((body) => body.email !== undefined || body.username !== undefined, {
		message: "send email or username",
		path: ["email"],
	})
	.meta({
		examples: [
			{ email: "alice@example.com", password: "correct horse battery staple" },
			{ username: "alice", password: "correct horse battery staple" },
			{ email: "teste@example.com" },
		],
	});

export const refreshBody = z
	.strictObject({
		refresh_token: z.string().min(1).max(200).optional(),
		refresh: z.string().min(1).max(200).optional().describe("Alias of refresh_token"),
	})
	.refine((body) => (body.refresh_token ?? body.refresh) !== undefined, {
		message: "send refresh_token",
		path: ["refresh_token"],
	})
	.meta({ examples: [{ refresh_token: "Jt3p…" }] });

export const logoutBody = z.strictObject({
	refresh_token: z.string().min(1).max(200).optional(),
	refresh: z.string().min(1).max(200).optional().describe("Alias of refresh_token"),
});

export const tokenResponse = z.object({
	access_token: z.string(),
	refresh_token: z.string(),
	token_type: z.literal("Bearer"),
	expires_in: z.number().int().describe("Seconds until access_token expires"),
	access: z.string().describe("Alias of access_token"),
	refresh: z.string().describe("Alias of refresh_token"),
});

export const userSchema = z.object({
	id: z.string(),
	email: z.string().nullable(),
	username: z.string().nullable(),
	name: z.string().nullable(),
	roles: z.array(z.string()),
	preferences: z.record(z.string(), z.unknown()),
	default_model: z.string().nullable(),
	memory_enabled: z.boolean().describe("Whether Parley learns and uses memories of you (see /v1/memories)"),
	created_at: timestamp,
	updated_at: timestamp,
});

export const profilePatchBody = z
	.strictObject({
		name: z.string().trim().min(1).max(200).nullable().optional(),
		preferences: z
			.record(z.string().max(100), z.unknown())
			.refine((value) => JSON.stringify(value).length <= 16_384, "at most 16 KiB of preferences")
			.optional(),
		default_model: z
			.string()
			.regex(/^[\x21-\x7e]{1,200}$/, "a model id: 1 to 200 visible ASCII characters, no spaces")
			.nullable()
			.optional(),
		memory_enabled: z.boolean().optional().describe("Switch memory on or off (also PUT /v1/memories/settings)"),
	})
	.meta({
		examples: [
			{ name: "Alice", preferences: { tone: "formal" }, default_model: "openai/gpt-4o-mini" },
			{ memory_enabled: false },
		],
	});

export const apiKeyCreateBody = z
	.strictObject({
		name: z.string().trim().min(1).max(100).default("API key"),
		expires_in_days: z.number().int().min(1).max(3650).optional(),
	})
	.meta({ examples: [{ name: "billing service", expires_in_days: 90 }] });

export const apiKeySchema = z.object({
	id: z.string(),
	name: z.string(),
	prefix: z.string(),
	last_four: z.string(),
	created_at: timestamp,
	expires_at: timestamp.nullable(),
	last_used_at: timestamp.nullable(),
});

export const createdApiKeySchema = apiKeySchema.extend({
	key: z.string().describe("The whole key. Shown only in this response; store it now."),
});
