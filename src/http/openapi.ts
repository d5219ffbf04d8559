import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import scalar from "@scalar/fastify-api-reference";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform } from "fastify-type-provider-zod";
import { z } from "zod";
import { errorCatalogue } from "../errors.js";
import { version } from "../version.js";
import { problemType } from "./problem.js";

const errorTable = Object.entries(errorCatalogue)
	.map(([code, definition]) => `| \`${code}\` | ${definition.status} | ${definition.title} |`)
	.join("\n");

const description = `Authenticated LLM chat: conversations with history and token accounting, an OpenAI-compatible
endpoint, several providers behind retries and circuit breakers.

**Authentication.** \`Authorization: Bearer <access token>\` from \`POST /v1/auth/login\`, or an API key
(\`Authorization: Bearer prl_…\` or \`X-API-Key: prl_…\`) from \`POST /v1/api-keys\`.

**Errors** are RFC 9457 \`application/problem+json\` documents with a stable \`code\`, the \`request_id\` (also in
the \`X-Request-Id\` header) and, for validation, an \`errors\` list. \`type\` is \`${problemType("not_found").replace("not-found", "<code with dashes>")}\`.

| code | status | meaning |
|---|---|---|
${errorTable}`;

type Transform = typeof jsonSchemaTransform;

/**
 * jsonSchemaTransform, plus the `examples` given to a body schema with `.meta()`: the bridge
 * keeps nested metadata but drops the root schema's, and @fastify/swagger turns a body schema's
 * `examples` into the media type's examples.
 */
const transformWithExamples: Transform = (input) => {
	const contentBody = bodyByMediaType(input.schema);
	if (contentBody !== undefined) return transformEachMediaType(input, contentBody);
	const output = jsonSchemaTransform(input);
	const body = (input.schema as { body?: unknown } | undefined)?.body;
	const examples = body instanceof z.ZodType ? z.globalRegistry.get(body)?.examples : undefined;
	const transformedBody = (output.schema as { body?: Record<string, unknown> } | undefined)?.body;
	if (Array.isArray(examples) && transformedBody) transformedBody.examples = examples;
	return output;
};

type BodyByMediaType = Record<string, { schema: z.ZodType }>;

/** A route body given per media type (Fastify's `body: { content: { [type]: { schema } } }`), if it is one. */
function bodyByMediaType(schema: unknown): BodyByMediaType | undefined {
	const content = (schema as { body?: { content?: unknown } } | undefined)?.body?.content;
	return typeof content === "object" && content !== null ? (content as BodyByMediaType) : undefined;
}

/**
 * The zod bridge converts a body only when it is one zod schema; a body given per media type
 * (JSON or a multipart upload) is converted one media type at a time, examples included.
 */
function transformEachMediaType(input: Parameters<Transform>[0], content: BodyByMediaType): ReturnType<Transform> {
	const withoutBody = { ...(input.schema as Record<string, unknown>), body: undefined };
	const output = transformWithExamples({ ...input, schema: withoutBody } as Parameters<Transform>[0]);
	const converted: Record<string, { schema: unknown }> = {};
	for (const [mediaType, { schema }] of Object.entries(content)) {
		const single = transformWithExamples({ ...input, schema: { body: schema } } as Parameters<Transform>[0]);
		converted[mediaType] = { schema: (single.schema as { body?: unknown }).body };
	}
	(output.schema as { body?: unknown }).body = { content: converted };
	return output;
}

const idempotencyKeyParameter = {
	name: "Idempotency-Key",
	in: "header",
	required: false,
	description:
		"Makes a retry safe: a repeat with the same key and request replays the first response (`Idempotent-Replayed: true`) " +
		"without running it again; the same key with another request → 422, while the first still runs → 409.",
	schema: { type: "string", minLength: 1, maxLength: 255 },
};

type OpenApiOperation = { parameters?: unknown[]; responses?: Record<string, unknown>; security?: unknown[] };
type OpenApiDocument = { paths?: Record<string, Record<string, OpenApiOperation>> };

/**
 * Statuses every route of a kind may answer with, added from the route's own documented problem
 * response (every authenticated route documents 401): rate limits on authenticated routes, the
 * Idempotency-Key outcomes on creating ones.
 */
function addProblemResponses(operation: OpenApiOperation, statuses: Record<string, string>): void {
	const responses = operation.responses;
	const template = responses?.["401"] ?? responses?.["400"];
	if (responses === undefined || typeof template !== "object" || template === null) return;
	for (const [status, description] of Object.entries(statuses)) {
		responses[status] ??= { ...template, description };
	}
}

/** OpenAPI generated from the routes' zod schemas; Swagger UI at /docs, a reference page at /redoc. */
export async function registerOpenApi(app: FastifyInstance, options: { publicUrl: string }): Promise<void> {
	// Routes are registered after this plugin; their Idempotency-Key header is added to the document.
	const idempotentOperations: Array<{ path: string; method: string }> = [];
	app.addHook("onRoute", (route) => {
		if (route.config?.idempotent !== true) return;
		for (const method of [route.method].flat()) {
			idempotentOperations.push({ path: route.url.replace(/:(\w+)/g, "{$1}"), method: method.toLowerCase() });
		}
	});
	await app.register(swagger, {
		transformObject: (documents) => {
			const document = (
				"openapiObject" in documents ? documents.openapiObject : documents.swaggerObject
			) as OpenApiDocument;
			for (const operations of Object.values(document.paths ?? {})) {
				for (const operation of Object.values(operations)) {
					if (operation.responses?.["401"] !== undefined) {
						addProblemResponses(operation, { "429": "Rate limited: see Retry-After and the RateLimit header" });
					}
				}
			}
			for (const { path, method } of idempotentOperations) {
				const operation = document.paths?.[path]?.[method];
				if (operation === undefined) continue;
				operation.parameters = [...(operation.parameters ?? []), idempotencyKeyParameter];
				addProblemResponses(operation, {
					"409": "A request with this Idempotency-Key is still running (Retry-After)",
					"422": "This Idempotency-Key was used with a different request",
				});
			}
			return document as never;
		},
		openapi: {
			openapi: "3.1.0",
			info: { title: "Parley API", version, description },
			servers: [{ url: options.publicUrl }],
			components: {
				securitySchemes: {
					bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT or prl_ API key" },
					apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
				},
			},
			security: [{ bearer: [] }, { apiKey: [] }],
		},
		transform: transformWithExamples,
		hideUntagged: true,
	});
	// Documentation pages are public; their plugins know nothing of Parley's route access rules.
	await app.register(async (documentation) => {
		documentation.addHook("onRoute", (route) => {
			route.config = { ...(route.config ?? {}), access: "public" };
		});
		await documentation.register(swaggerUi, { routePrefix: "/docs", staticCSP: true, logLevel: "warn" });
		await documentation.register(scalar, {
			routePrefix: "/redoc",
			logLevel: "warn",
			configuration: { pageTitle: "Parley API reference", url: "/openapi.json" },
		});
	});
	const document = () => app.swagger();
	app.get("/openapi.json", { config: { access: "public" }, logLevel: "warn" }, async () => document());
	app.get("/schema", { config: { access: "public" }, logLevel: "warn" }, async () => document());
}
