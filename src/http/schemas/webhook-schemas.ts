import { z } from "zod";
import { liveEventTypes } from "../../notify/notifier-port.js";
import { timestamp } from "./common.js";

export const webhookCreateBody = z
	.strictObject({
		url: z
			.url({ protocol: /^https?$/, error: "must be an http(s) URL" })
			.max(2000)
			// Runs even when the URL check failed (zod reports every issue), so it must not throw.
			.refine((value) => {
				const url = URL.parse(value);
				return url === null || (url.username === "" && url.password === "");
			}, "must not carry credentials")
			.describe(
				"Where deliveries are POSTed. Private, loopback and link-local addresses are refused unless the operator " +
					"allow-listed the host (WEBHOOK_ALLOWED_HOSTS); redirects are not followed",
			),
		events: z
			.array(z.enum(liveEventTypes))
			.max(liveEventTypes.length * 2)
			.optional()
			.describe("Event types to receive; omitted or empty: every type"),
		description: z.string().max(500).optional(),
	})
	.meta({
		examples: [{ url: "https://example.com/hooks/parley", events: ["question-answered", "question-failed"] }],
	});

const exampleWebhook = {
	id: "0196a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b",
	url: "https://example.com/hooks/parley",
	events: ["question-answered", "question-failed"],
	description: null,
	enabled: true,
	consecutive_failures: 0,
	disabled_reason: null,
	created_at: "2026-01-05T10:12:00.000Z",
	updated_at: "2026-01-05T10:12:00.000Z",
} as const;

export const webhookSchema = z
	.object({
		id: z.string(),
		url: z.string(),
		events: z.array(z.string()).describe("Empty: every type"),
		description: z.string().nullable(),
		enabled: z.boolean().describe("False once deliveries failed WEBHOOK_DISABLE_AFTER_FAILURES times in a row"),
		consecutive_failures: z.number().int(),
		disabled_reason: z.string().nullable(),
		created_at: timestamp,
		updated_at: timestamp,
	})
	.meta({ examples: [exampleWebhook] });

export const createdWebhookSchema = webhookSchema
	.extend({
		secret: z
			.string()
			.describe("The signing secret (whsec_…). Shown only in this response: store it now; it is never returned again"),
	})
	.meta({ examples: [{ ...exampleWebhook, secret: "whsec_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }] });

export const webhookListSchema = z.object({ data: z.array(webhookSchema) });

export const webhookDeliverySchema = z.object({
	id: z.string(),
	event_id: z.string().describe("Also sent as the Parley-Webhook-Id header: the same on every retry"),
	event_type: z.string(),
	status: z.enum(["pending", "succeeded", "failed"]),
	attempts: z.number().int(),
	response_status: z.number().int().nullable().describe("HTTP status of the last attempt; null without a response"),
	error: z.string().nullable(),
	created_at: timestamp,
	updated_at: timestamp,
});

export const webhookDeliveryListSchema = z.object({ data: z.array(webhookDeliverySchema) });

export const webhookDeliveryQuery = z.strictObject({
	limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const webhookTestResponse = z.object({
	event_id: z.string().describe("The ping's id; its delivery shows in GET /v1/webhooks/{id}/deliveries"),
});
