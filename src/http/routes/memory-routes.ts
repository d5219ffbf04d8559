import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { MemoryService } from "../../memory/memory-service.js";
import { principalOf } from "../authentication.js";
import { memoryRepresentation } from "../memory-representations.js";
import { idParameters, noContent, problemResponses } from "../schemas/common.js";
import {
	memoryCreateBody,
	memoryListQuery,
	memoryPageSchema,
	memoryPatchBody,
	memorySchema,
	memorySettingsBody,
	memorySettingsSchema,
} from "../schemas/memory-schemas.js";

const tags = ["memory"];

/** What Parley remembers about the caller: see it, correct it, delete it, switch it off. */
export function memoryRoutes(dependencies: { memory: MemoryService }): FastifyPluginAsyncZod {
	const { memory } = dependencies;
	return async (app) => {
		app.get(
			"/v1/memories",
			{
				config: { idempotent: true },
				schema: {
					tags,
					summary: "What Parley remembers about you, newest first",
					description:
						"Facts and preferences learnt from your messages (`source: chat`) or added by you (`source: manual`). " +
						"Preferences go with every prompt; facts only with prompts they are relevant to.",
					querystring: memoryListQuery,
					response: { 200: memoryPageSchema, ...problemResponses(400, 401) },
				},
			},
			async (request) => {
				const { limit, cursor, kind } = request.query;
				const page = await memory.list(principalOf(request), { limit, cursor, kind });
				return { data: page.items.map(memoryRepresentation), next_cursor: page.nextCursor };
			},
		);

		app.post(
			"/v1/memories",
			{
				schema: {
					tags,
					summary: "Tell Parley something to remember",
					description:
						"201 with the new memory; 200 with the existing one when you already have a memory saying the same.",
					body: memoryCreateBody,
					response: { 200: memorySchema, 201: memorySchema, ...problemResponses(400, 401) },
				},
			},
			async (request, reply) => {
				const { memory: record, created } = await memory.create(principalOf(request), request.body);
				return reply.code(created ? 201 : 200).send(memoryRepresentation(record));
			},
		);

		app.delete(
			"/v1/memories",
			{
				schema: {
					tags,
					summary: "Forget everything",
					description: "Deletes all your memories at once, for good. Memory stays on unless you switch it off.",
					response: { 204: noContent, ...problemResponses(401) },
				},
			},
			async (request, reply) => {
				await memory.deleteAll(principalOf(request));
				return reply.code(204).send(null);
			},
		);

		app.get(
			"/v1/memories/settings",
			{
				schema: {
					tags,
					summary: "Whether memory is on for you",
					response: { 200: memorySettingsSchema, ...problemResponses(401, 404) },
				},
			},
			async (request) => memory.settings(principalOf(request)),
		);

		app.put(
			"/v1/memories/settings",
			{
				schema: {
					tags,
					summary: "Switch memory on or off",
					description:
						"Off: Parley learns nothing from your messages and gives models nothing it remembers. What it already " +
						"remembers is kept (and listed) until you delete it. Also `memory_enabled` in PATCH /v1/users/me.",
					body: memorySettingsBody,
					response: { 200: memorySettingsSchema, ...problemResponses(400, 401, 404) },
				},
			},
			async (request) => memory.setEnabled(principalOf(request), request.body.enabled),
		);

		app.get(
			"/v1/memories/:id",
			{
				schema: {
					tags,
					summary: "One memory",
					params: idParameters,
					response: { 200: memorySchema, ...problemResponses(401, 404) },
				},
			},
			async (request) => memoryRepresentation(await memory.get(principalOf(request), request.params.id)),
		);

		app.patch(
			"/v1/memories/:id",
			{
				schema: {
					tags,
					summary: "Correct a memory",
					description: "Change its text, its kind or both; fields left out stay as they are.",
					params: idParameters,
					body: memoryPatchBody,
					response: { 200: memorySchema, ...problemResponses(400, 401, 404) },
				},
			},
			async (request) =>
				memoryRepresentation(await memory.update(principalOf(request), request.params.id, request.body)),
		);

		app.delete(
			"/v1/memories/:id",
			{
				schema: {
					tags,
					summary: "Forget one memory",
					description: "Deleted at once and for good: it is never given to a model again.",
					params: idParameters,
					response: { 204: noContent, ...problemResponses(401, 404) },
				},
			},
			async (request, reply) => {
				await memory.delete(principalOf(request), request.params.id);
				return reply.code(204).send(null);
			},
		);
	};
}
