import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { WebhookDeliveryRecord, WebhookRecord } from "../../store/webhook-port.js";
import type { WebhookDispatcher } from "../../webhooks/webhook-dispatcher.js";
import type { WebhookService } from "../../webhooks/webhook-service.js";
import { principalOf } from "../authentication.js";
import { idParameters, iso, noContent, problemResponses } from "../schemas/common.js";
import {
	createdWebhookSchema,
	webhookCreateBody,
	webhookDeliveryListSchema,
	webhookDeliveryQuery,
	webhookListSchema,
	webhookSchema,
	webhookTestResponse,
} from "../schemas/webhook-schemas.js";

const tags = ["webhooks"];

const representation = (webhook: WebhookRecord) => ({
	id: webhook.id,
	url: webhook.url,
	events: webhook.events,
	description: webhook.description,
	enabled: webhook.enabled,
	consecutive_failures: webhook.consecutiveFailures,
	disabled_reason: webhook.disabledReason,
	created_at: iso(webhook.createdAt),
	updated_at: iso(webhook.updatedAt),
});

const deliveryRepresentation = (delivery: WebhookDeliveryRecord) => ({
	id: delivery.id,
	event_id: delivery.eventId,
	event_type: delivery.eventType,
	status: delivery.status,
	attempts: delivery.attempts,
	response_status: delivery.responseStatus,
	error: delivery.error,
	created_at: iso(delivery.createdAt),
	updated_at: iso(delivery.updatedAt),
});

/** Each user's own webhooks: live events POSTed, signed, to a URL of theirs. */
export function webhookRoutes(dependencies: {
	webhooks: WebhookService;
	dispatcher: WebhookDispatcher;
}): FastifyPluginAsyncZod {
	const { webhooks, dispatcher } = dependencies;
	return async (app) => {
		app.post(
			"/v1/webhooks",
			{
				schema: {
					tags,
					summary: "Register a webhook",
					description:
						"Your live events (question-answered, question-failed, prompt-message, document-indexed) are POSTed to " +
						"the URL as JSON `{id, type, created_at, data}`, signed: `Parley-Webhook-Signature: v1=<hex HMAC-SHA256 " +
						'of "<Parley-Webhook-Timestamp>.<raw body>" keyed with the secret>`. Network errors, 429 and 5xx are ' +
						"retried with exponential backoff. The secret is in this response only.",
					body: webhookCreateBody,
					response: { 201: createdWebhookSchema, ...problemResponses(400, 401, 409, 422, 503) },
				},
			},
			async (request, reply) => {
				const { url, events, description } = request.body;
				const { webhook, secret } = await webhooks.register(principalOf(request).userId, {
					url,
					events: events ?? [],
					description: description ?? null,
				});
				return reply
					.code(201)
					.header("location", `/v1/webhooks/${webhook.id}`)
					.send({ ...representation(webhook), secret });
			},
		);

		app.get(
			"/v1/webhooks",
			{
				schema: {
					tags,
					summary: "Your webhooks (never their secrets)",
					response: { 200: webhookListSchema, ...problemResponses(401) },
				},
			},
			async (request) => ({ data: (await webhooks.list(principalOf(request).userId)).map(representation) }),
		);

		app.get(
			"/v1/webhooks/:id",
			{
				schema: {
					tags,
					summary: "One of your webhooks",
					params: idParameters,
					response: { 200: webhookSchema, ...problemResponses(401, 404) },
				},
			},
			async (request) => representation(await webhooks.get(principalOf(request).userId, request.params.id)),
		);

		app.delete(
			"/v1/webhooks/:id",
			{
				schema: {
					tags,
					summary: "Delete a webhook and its delivery log",
					params: idParameters,
					response: { 204: noContent, ...problemResponses(401, 404) },
				},
			},
			async (request, reply) => {
				await webhooks.delete(principalOf(request).userId, request.params.id);
				return reply.code(204).send(null);
			},
		);

		app.get(
			"/v1/webhooks/:id/deliveries",
			{
				schema: {
					tags,
					summary: "A webhook's recent deliveries, newest first",
					params: idParameters,
					querystring: webhookDeliveryQuery,
					response: { 200: webhookDeliveryListSchema, ...problemResponses(400, 401, 404) },
				},
			},
			async (request) => ({
				data: (await webhooks.deliveries(principalOf(request).userId, request.params.id, request.query.limit)).map(
					deliveryRepresentation,
				),
			}),
		);

		app.post(
			"/v1/webhooks/:id/test",
			{
				schema: {
					tags,
					summary: "Send a webhook-test ping",
					description: "Delivered like any event (signed, retried), even to a disabled webhook; 202 at once.",
					params: idParameters,
					response: { 202: webhookTestResponse, ...problemResponses(401, 404) },
				},
			},
			async (request, reply) => {
				const webhook = await webhooks.get(principalOf(request).userId, request.params.id);
				return reply.code(202).send({ event_id: await dispatcher.test(webhook) });
			},
		);
	};
}
