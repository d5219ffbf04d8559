import type { EmbeddingModel } from "ai";
import { AppError } from "../errors.js";
import { toAiSdkProviderCallError } from "../llm/ai-sdk/ai-sdk-errors.js";
import { ProviderCallError } from "../llm/model-port.js";
import { toRouterAppError } from "../llm/router-errors.js";
import type { Embedder } from "./embedder-port.js";

/**
 * Embedders that call a provider through the AI SDK's `embedMany`: OpenAI, Gemini, Bedrock
 * (Titan, Cohere) and any OpenAI-compatible server (Ollama, vLLM, LM Studio…).
 *
 * - The provider package is imported, and the model instance built, on first use only, then kept
 *   (building one costs ~0.4 ms; importing a provider, far more).
 * - `embedMany` splits the texts into the provider's largest batch (OpenAI 2048, Gemini 100,
 *   Cohere on Bedrock 96, Titan 1) and sends up to `maxParallelCalls` batches at once.
 * - Retryable failures (network, timeouts, 429, 5xx) are retried here with exponential backoff
 *   and full jitter, honouring Retry-After; a 400 or 401 fails at once. The final failure is an
 *   AppError (provider_rejected / provider_overloaded / provider_error / provider_timeout).
 * - Vectors are checked for the configured length and L2-normalised, so scores are cosines.
 */

export type EmbeddingProviderName = "openai" | "gemini" | "bedrock" | "openai-compatible";

export interface ProviderEmbedderSettings {
	provider: EmbeddingProviderName;
	model: string;
	dimensions: number;
	/** Ask the provider to shorten its vectors to `dimensions` (models that support it: OpenAI v3, Gemini, Titan v2). */
	requestDimensions: boolean;
	apiKey?: string | undefined;
	baseUrl?: string | undefined;
	/** Bedrock only. */
	region?: string | undefined;
	timeoutMs: number;
	maxRetries: number;
	retryBaseDelayMs: number;
	retryMaxDelayMs: number;
	maxParallelCalls?: number | undefined;
}

export interface ProviderEmbedderDependencies {
	/** Builds the model; tests pass a MockEmbeddingModelV4. Defaults to the provider package. */
	loadModel?: (settings: ProviderEmbedderSettings) => Promise<EmbeddingModel>;
	sleep?: (milliseconds: number) => Promise<void>;
	random?: () => number;
}

const defaultMaxParallelCalls = 4;

export function providerEmbedderId(
	settings: Pick<ProviderEmbedderSettings, "provider" | "model" | "dimensions">,
): string {
	return `${settings.provider}:${settings.model}:${settings.dimensions}`;
}

export function createProviderEmbedder(
	settings: ProviderEmbedderSettings,
	dependencies: ProviderEmbedderDependencies = {},
): Embedder {
	const loadModel = dependencies.loadModel ?? loadProviderModel;
	const sleep = dependencies.sleep ?? ((milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)));
	const random = dependencies.random ?? Math.random;
	let model: Promise<EmbeddingModel> | undefined;

	const getModel = (): Promise<EmbeddingModel> => {
		model ??= loadModel(settings).catch((error: unknown) => {
			// A failed import or bad settings should not stick forever.
			model = undefined;
			throw error;
		});
		return model;
	};

	async function attempt(texts: readonly string[], purpose: "document" | "query"): Promise<Float32Array[]> {
		const { embedMany } = await import("ai");
		const signal = AbortSignal.timeout(settings.timeoutMs);
		let embeddings: number[][];
		try {
			const result = await embedMany({
				model: await getModel(),
				values: [...texts],
				maxRetries: 0,
				maxParallelCalls: settings.maxParallelCalls ?? defaultMaxParallelCalls,
				abortSignal: signal,
				providerOptions: providerOptionsFor(settings, purpose),
			});
			embeddings = result.embeddings;
		} catch (error) {
			if (error instanceof ProviderCallError) throw error;
			if (signal.aborted) {
				throw new ProviderCallError({
					provider: settings.provider,
					kind: "timeout",
					message: `${settings.provider}: no embeddings within ${settings.timeoutMs} ms`,
					cause: error,
				});
			}
			throw toAiSdkProviderCallError(settings.provider, error, undefined);
		}
		return embeddings.map((embedding) => toUnitVector(embedding, settings));
	}

	return {
		id: providerEmbedderId(settings),
		dimensions: settings.dimensions,
		async embed(texts, purpose) {
			if (texts.length === 0) return [];
			for (let attemptNumber = 1; ; attemptNumber++) {
				try {
					return await attempt(texts, purpose);
				} catch (error) {
					if (!(error instanceof ProviderCallError) || !error.retryable || attemptNumber > settings.maxRetries) {
						throw toRouterAppError(error, `${settings.provider}/${settings.model}`, () => 0);
					}
					const backoff = Math.min(settings.retryMaxDelayMs, settings.retryBaseDelayMs * 2 ** (attemptNumber - 1));
					const retryAfter = error.retryAfterMs;
					if (retryAfter !== undefined && retryAfter > settings.retryMaxDelayMs) {
						throw toRouterAppError(error, `${settings.provider}/${settings.model}`, () => 0);
					}
					await sleep(retryAfter ?? Math.floor(random() * backoff));
				}
			}
		},
	};
}

function providerOptionsFor(
	settings: ProviderEmbedderSettings,
	purpose: "document" | "query",
): Record<string, Record<string, string | number | boolean>> {
	const dimensions = settings.requestDimensions ? settings.dimensions : undefined;
	switch (settings.provider) {
		case "openai":
			return dimensions === undefined ? {} : { openai: { dimensions } };
		case "openai-compatible":
			return dimensions === undefined ? {} : { openaiCompatible: { dimensions } };
		case "gemini":
			return {
				google: {
					taskType: purpose === "query" ? "RETRIEVAL_QUERY" : "RETRIEVAL_DOCUMENT",
					...(dimensions === undefined ? {} : { outputDimensionality: dimensions }),
				},
			};
		case "bedrock":
			return settings.model.startsWith("cohere.")
				? { bedrock: { inputType: purpose === "query" ? "search_query" : "search_document" } }
				: { bedrock: { normalize: true, ...(dimensions === undefined ? {} : { dimensions }) } };
	}
}

function toUnitVector(embedding: readonly number[], settings: ProviderEmbedderSettings): Float32Array {
	if (embedding.length !== settings.dimensions) {
		throw new AppError("provider_error", {
			detail:
				`${settings.provider}/${settings.model} returned ${embedding.length}-dimensional vectors, ` +
				`but EMBEDDING_DIMENSIONS is ${settings.dimensions}.`,
		});
	}
	const vector = Float32Array.from(embedding);
	let squaredNorm = 0;
	for (const value of vector) squaredNorm += value * value;
	if (squaredNorm > 0) {
		const scale = 1 / Math.sqrt(squaredNorm);
		for (let index = 0; index < vector.length; index++) vector[index] = vector[index]! * scale;
	}
	return vector;
}

async function loadProviderModel(settings: ProviderEmbedderSettings): Promise<EmbeddingModel> {
	switch (settings.provider) {
		case "openai": {
			const { createOpenAI } = await import("@ai-sdk/openai");
			return createOpenAI({ apiKey: settings.apiKey, baseURL: settings.baseUrl }).embedding(settings.model);
		}
		case "openai-compatible": {
			const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
			if (settings.baseUrl === undefined) {
				throw new Error("the openai-compatible embedder needs OPENAI_COMPATIBLE_BASE_URL");
			}
			return createOpenAICompatible({
				name: "openaiCompatible",
				baseURL: settings.baseUrl,
				apiKey: settings.apiKey,
			}).embeddingModel(settings.model);
		}
		case "gemini": {
			const { createGoogleGenerativeAI } = await import("@ai-sdk/google");
			return createGoogleGenerativeAI({ apiKey: settings.apiKey, baseURL: settings.baseUrl }).embedding(settings.model);
		}
		case "bedrock": {
			const { createAmazonBedrock } = await import("@ai-sdk/amazon-bedrock");
			const authentication =
				settings.apiKey === undefined
					? { credentialProvider: (await import("@aws-sdk/credential-providers")).fromNodeProviderChain() }
					: { apiKey: settings.apiKey };
			return createAmazonBedrock({ region: settings.region, baseURL: settings.baseUrl, ...authentication }).embedding(
				settings.model,
			);
		}
	}
}
