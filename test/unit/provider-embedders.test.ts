import { MockEmbeddingModelV4 } from "ai/test";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { AppError } from "../../src/errors.js";
import { createEmbedder } from "../../src/rag/create-embedder.js";
import { createProviderEmbedder, type ProviderEmbedderSettings } from "../../src/rag/provider-embedders.js";
import {
	type FakeEmbeddingsServer,
	fakeEmbedding,
	startFakeEmbeddingsServer,
} from "../support/fake-embeddings-server.js";

/**
 * Real parts: the AI SDK's embedMany and @ai-sdk/openai-compatible over real HTTP to a local fake
 * of OpenAI's /v1/embeddings. The mock model covers batching and purposes without a server.
 */

const dimensions = 16;
const norm = (vector: Float32Array) => Math.hypot(...vector);

function settings(
	server: FakeEmbeddingsServer,
	overrides: Partial<ProviderEmbedderSettings> = {},
): ProviderEmbedderSettings {
	return {
		provider: "openai-compatible",
		model: "nomic-embed-text",
		dimensions,
		requestDimensions: false,
		baseUrl: server.url,
		apiKey: "local-key",
		timeoutMs: 5_000,
		maxRetries: 2,
		retryBaseDelayMs: 1,
		retryMaxDelayMs: 50,
		...overrides,
	};
}

describe("OpenAI-compatible embedder over HTTP", () => {
	let server: FakeEmbeddingsServer;
	const sleeps: number[] = [];
	const sleep = async (milliseconds: number) => {
		sleeps.push(milliseconds);
	};
	beforeAll(async () => {
		server = await startFakeEmbeddingsServer({ dimensions });
	});
	afterAll(() => server.close());
	beforeEach(() => {
		server.requests.length = 0;
		sleeps.length = 0;
	});

	it("embeds texts in order as unit vectors and names its space", async () => {
		const embedder = createProviderEmbedder(settings(server));
		expect(embedder.id).toBe("openai-compatible:nomic-embed-text:16");
		const vectors = await embedder.embed(["first text", "second text"], "document");
		expect(vectors).toHaveLength(2);
		for (const [index, text] of ["first text", "second text"].entries()) {
			const raw = fakeEmbedding(text, dimensions);
			const length = Math.hypot(...raw);
			expect(Array.from(vectors[index]!)).toEqual(raw.map((value) => Math.fround(value / length)));
			expect(norm(vectors[index]!)).toBeCloseTo(1, 5);
		}
		const [request] = server.requests;
		expect(request?.body).toMatchObject({ model: "nomic-embed-text", input: ["first text", "second text"] });
		expect(request?.headers.authorization).toBe("Bearer local-key");
		expect(await embedder.embed([], "query")).toEqual([]);
	});

	it("asks for the configured dimensions only when told to", async () => {
		await createProviderEmbedder(settings(server, { requestDimensions: true })).embed(["x"], "query");
		expect(server.requests[0]?.body.dimensions).toBe(dimensions);
		await createProviderEmbedder(settings(server)).embed(["x"], "query");
		expect(server.requests[1]?.body.dimensions).toBeUndefined();
	});

	it("retries 429 and 5xx with backoff, honouring Retry-After, then succeeds", async () => {
		server.script({ type: "error", status: 429, retryAfterSeconds: 0 }, { type: "error", status: 503 });
		const vectors = await createProviderEmbedder(settings(server), { sleep, random: () => 0.5 }).embed(
			["x"],
			"document",
		);
		expect(vectors).toHaveLength(1);
		expect(server.requests).toHaveLength(3);
		expect(sleeps).toEqual([0, 1]);
	});

	it("gives up after the retries with a provider AppError", async () => {
		server.script({ type: "error", status: 500 }, { type: "error", status: 500 }, { type: "error", status: 500 });
		const failure = await createProviderEmbedder(settings(server), { sleep })
			.embed(["x"], "document")
			.catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(AppError);
		expect((failure as AppError).code).toBe("provider_error");
		expect(server.requests).toHaveLength(3);
	});

	it("does not retry a 400 or 401, and reports them as the provider's rejection", async () => {
		for (const status of [400, 401]) {
			server.requests.length = 0;
			server.script({ type: "error", status });
			const failure = await createProviderEmbedder(settings(server), { sleep })
				.embed(["x"], "document")
				.catch((error: unknown) => error);
			expect(failure).toBeInstanceOf(AppError);
			expect((failure as AppError).status).toBeGreaterThanOrEqual(400);
			expect((failure as AppError).code).not.toBe("internal_error");
			expect(server.requests).toHaveLength(1);
		}
	});

	it("rejects vectors of the wrong length instead of storing them", async () => {
		server.script({ type: "wrong-dimensions" });
		const failure = await createProviderEmbedder(settings(server), { sleep })
			.embed(["x"], "document")
			.catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(AppError);
		expect((failure as AppError).detail).toContain("17-dimensional");
	});

	it("reports an unreachable server as a provider error after retrying", async () => {
		const failure = await createProviderEmbedder(settings(server, { baseUrl: "http://127.0.0.1:9/v1" }), { sleep })
			.embed(["x"], "document")
			.catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(AppError);
		expect((failure as AppError).code).toBe("provider_error");
		expect(sleeps).toHaveLength(2);
	});

	it("is what the configuration names", async () => {
		const config = loadConfig({
			EMBEDDER: "openai-compatible",
			EMBEDDING_MODEL: "custom-embedder",
			EMBEDDING_DIMENSIONS: String(dimensions),
			OPENAI_COMPATIBLE_BASE_URL: server.url,
		});
		const embedder = createEmbedder(config);
		expect(embedder.id).toBe("openai-compatible:custom-embedder:16");
		expect(await embedder.embed(["configured"], "query")).toHaveLength(1);
		expect(server.requests.at(-1)?.body).toMatchObject({ model: "custom-embedder", dimensions });
	});
});

describe("provider embedders with a mock model", () => {
	it("splits texts into the model's batch size and keeps their order", async () => {
		const model = new MockEmbeddingModelV4({
			maxEmbeddingsPerCall: 3,
			doEmbed: async ({ values }) => ({
				embeddings: values.map((value) => [Number(value), 1, 0, 0]),
				warnings: [],
			}),
		});
		const embedder = createProviderEmbedder(
			{
				provider: "gemini",
				model: "gemini-embedding-001",
				dimensions: 4,
				requestDimensions: true,
				timeoutMs: 1_000,
				maxRetries: 0,
				retryBaseDelayMs: 1,
				retryMaxDelayMs: 1,
			},
			{ loadModel: async () => model },
		);
		const texts = Array.from({ length: 8 }, (_, index) => String(index));
		const vectors = await embedder.embed(texts, "query");
		expect(model.doEmbedCalls.map((call) => call.values.length)).toEqual([3, 3, 2]);
		expect(vectors.map((vector) => Math.round((vector[0]! / vector[1]!) * 10) / 10)).toEqual(texts.map(Number));
		expect(model.doEmbedCalls[0]?.providerOptions).toEqual({
			google: { taskType: "RETRIEVAL_QUERY", outputDimensionality: 4 },
		});
		await embedder.embed(["a"], "document");
		expect(model.doEmbedCalls.at(-1)?.providerOptions?.google?.taskType).toBe("RETRIEVAL_DOCUMENT");
	});

	it("builds the model once and reuses it", async () => {
		let loads = 0;
		const model = new MockEmbeddingModelV4({
			doEmbed: async ({ values }) => ({ embeddings: values.map(() => [1, 0]), warnings: [] }),
		});
		const embedder = createProviderEmbedder(
			{
				provider: "openai",
				model: "text-embedding-3-small",
				dimensions: 2,
				requestDimensions: false,
				timeoutMs: 1_000,
				maxRetries: 0,
				retryBaseDelayMs: 1,
				retryMaxDelayMs: 1,
			},
			{
				loadModel: async () => {
					loads += 1;
					return model;
				},
			},
		);
		await Promise.all([
			embedder.embed(["a"], "query"),
			embedder.embed(["b"], "query"),
			embedder.embed(["c"], "document"),
		]);
		expect(loads).toBe(1);
	});
});
