import type { LanguageModel } from "ai";
import { type Config, ConfigError } from "../config.js";
import { type AiSdkProviderName, loadLanguageModelFactory } from "../llm/ai-sdk/ai-sdk-providers.js";
import { mockProviderName } from "../llm/mock/mock-model.js";
import type { ModelRouter } from "../llm/model-router.js";

/**
 * AI SDK language models for memory extraction, which needs structured output: the chat path's
 * OpenAI-wire adapter relays bytes and has no notion of a schema. Providers the chat path already
 * serves through the AI SDK (Gemini, Anthropic, Bedrock) get the same provider packages; the
 * OpenAI-wire ones (OpenAI, OpenRouter, any Chat Completions server) get @ai-sdk/openai-compatible
 * pointed at the same base URL and key. Packages are imported on first use and every model is
 * built once.
 */

export interface MemoryModelReference {
	/** Provider name, as in LLM_PROVIDER. */
	provider: string;
	/** The provider's own model id. */
	model: string;
}

/** The model to extract memories with, or undefined for the mock and for providers not configured here. */
export type MemoryModelSource = (reference: MemoryModelReference) => Promise<LanguageModel | undefined>;

type ModelFactory = (modelId: string) => LanguageModel;

const aiSdkProviders = new Set<string>(["gemini", "anthropic", "bedrock"]);
const maximumCachedModels = 100;

export function createMemoryModelSource(config: Config["llm"]): MemoryModelSource {
	const factories = new Map<string, Promise<ModelFactory | undefined>>();
	const models = new Map<string, LanguageModel>();

	async function openAiWireFactory(
		name: string,
		settings: { baseUrl: string; apiKey?: string | undefined },
		options: { structuredOutputs: boolean; headers?: Record<string, string> },
	): Promise<ModelFactory> {
		const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
		const provider = createOpenAICompatible({
			name,
			baseURL: settings.baseUrl,
			apiKey: settings.apiKey,
			headers: options.headers,
			// JSON-schema response formats are what OpenAI and OpenRouter enforce; servers that merely
			// imitate OpenAI more often know only {"type": "json_object"}, so they get that and the
			// shape is spelled out in the prompt instead.
			supportsStructuredOutputs: options.structuredOutputs,
		});
		return (modelId) => provider.chatModel(modelId);
	}

	async function loadFactory(provider: string): Promise<ModelFactory | undefined> {
		switch (provider) {
			case "openai":
				return config.openai && openAiWireFactory("openai", config.openai, { structuredOutputs: true });
			case "openrouter":
				return (
					config.openrouter &&
					openAiWireFactory("openrouter", config.openrouter, {
						structuredOutputs: true,
						headers: { "X-Title": "Parley" },
					})
				);
			case "openai-compatible":
				return (
					config.openaiCompatible &&
					openAiWireFactory("openai-compatible", config.openaiCompatible, { structuredOutputs: false })
				);
			default: {
				if (!aiSdkProviders.has(provider)) return undefined;
				const settings = {
					gemini: { apiKey: config.gemini?.apiKey },
					anthropic: { apiKey: config.anthropic?.apiKey, baseUrl: config.anthropic?.baseUrl },
					bedrock: { region: config.bedrock?.region },
				}[provider as AiSdkProviderName];
				const configured = { gemini: config.gemini, anthropic: config.anthropic, bedrock: config.bedrock }[
					provider as AiSdkProviderName
				];
				return configured === undefined ? undefined : loadLanguageModelFactory(provider as AiSdkProviderName, settings);
			}
		}
	}

	return async ({ provider, model }) => {
		const key = `${provider}\u0000${model}`;
		const built = models.get(key);
		if (built !== undefined) return built;
		let factory = factories.get(provider);
		if (factory === undefined) {
			factory = loadFactory(provider);
			factories.set(provider, factory);
			// A failed import must not be remembered for ever.
			factory.catch(() => factories.delete(provider));
		}
		const create = await factory;
		if (create === undefined) return undefined;
		const languageModel = create(model);
		// Model ids come from users' choices; the set is small in practice, but bounded all the same.
		if (models.size >= maximumCachedModels) models.clear();
		models.set(key, languageModel);
		return languageModel;
	};
}

/**
 * The models memory extraction may use, resolved once at start-up: the default model (rule-based
 * when it is the mock, or when it cannot be resolved, since chat cannot use it either) and
 * MEMORY_MODEL, which must name a configured provider.
 */
export function memoryModelReferences(
	router: Pick<ModelRouter, "resolve">,
	memoryModel: string | undefined,
): { defaultModel: MemoryModelReference; extractionModel: MemoryModelReference | undefined } {
	let defaultModel: MemoryModelReference;
	try {
		const { provider, model } = router.resolve();
		defaultModel = { provider, model };
	} catch {
		defaultModel = { provider: mockProviderName, model: "unresolved" };
	}
	if (memoryModel === undefined) return { defaultModel, extractionModel: undefined };
	try {
		const resolved = router.resolve(memoryModel);
		// Extraction runs for every user with the server's key: a provider reached only with users' own keys will not do.
		if (!resolved.serverCredentials) {
			throw new Error(
				`Model "${memoryModel}" needs the ${resolved.provider} provider, which is not configured on this server.`,
			);
		}
		return { defaultModel, extractionModel: { provider: resolved.provider, model: resolved.model } };
	} catch (error) {
		throw new ConfigError([`MEMORY_MODEL: ${error instanceof Error ? error.message : String(error)}`]);
	}
}
