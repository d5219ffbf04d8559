import { createHash } from "node:crypto";
import type { LanguageModel, LanguageModelUsage, ModelMessage, SystemModelMessage } from "ai";
import type {
	ChatMessage,
	ChatModelRequest,
	FinishReason,
	LanguageModelAdapter,
	ModelCallOptions,
	ModelResult,
	ModelStreamPart,
	ProviderCredentials,
	TokenUsage,
} from "../model-port.js";
import { ProviderCallError } from "../model-port.js";
import { toAiSdkProviderCallError } from "./ai-sdk-errors.js";
import {
	type AiSdkProviderName,
	type AiSdkProviderSettings,
	type LanguageModelFactory,
	loadLanguageModelFactory,
} from "./ai-sdk-providers.js";

export interface AiSdkAdapterOptions extends AiSdkProviderSettings {
	provider: AiSdkProviderName;
	/** Builds provider instances; the real provider packages unless a test injects models. */
	createFactory?: (settings: AiSdkProviderSettings) => LanguageModelFactory | Promise<LanguageModelFactory>;
}

interface ProviderInstance {
	factory: Promise<LanguageModelFactory>;
	/** Constructing a model costs ~0.4 ms, so each is made once per id. */
	models: Map<string, LanguageModel>;
}

/** Users' own keys: each needs its own provider instance; the least recently used are dropped. */
const maxCredentialInstances = 100;

/** Gemini, Anthropic and Bedrock through AI SDK 7. Retries are the router's, so the SDK makes none. */
export function createAiSdkAdapter(options: AiSdkAdapterOptions): LanguageModelAdapter {
	const provider = options.provider;
	const createFactory =
		options.createFactory ?? ((settings: AiSdkProviderSettings) => loadLanguageModelFactory(provider, settings));
	let sdk: Promise<typeof import("ai")> | undefined;
	let defaultInstance: ProviderInstance | undefined;
	const credentialInstances = new Map<string, ProviderInstance>();

	function newInstance(settings: AiSdkProviderSettings): ProviderInstance {
		const factory = Promise.resolve(createFactory(settings));
		const instance: ProviderInstance = { factory, models: new Map() };
		// A failed import or setup must not be cached for ever.
		factory.catch(() => {
			if (defaultInstance === instance) defaultInstance = undefined;
			for (const [key, value] of credentialInstances) if (value === instance) credentialInstances.delete(key);
		});
		return instance;
	}

	function instanceFor(credentials: ProviderCredentials | undefined): ProviderInstance {
		if (credentials === undefined) {
			defaultInstance ??= newInstance({ apiKey: options.apiKey, baseUrl: options.baseUrl, region: options.region });
			return defaultInstance;
		}
		const key = createHash("sha256")
			.update(`${credentials.apiKey}\n${credentials.baseUrl ?? ""}`)
			.digest("base64url");
		let instance = credentialInstances.get(key);
		if (instance !== undefined) {
			credentialInstances.delete(key);
		} else {
			instance = newInstance({
				apiKey: credentials.apiKey,
				baseUrl: credentials.baseUrl ?? options.baseUrl,
				region: options.region,
			});
			if (credentialInstances.size >= maxCredentialInstances) {
				const oldest = credentialInstances.keys().next();
				if (!oldest.done) credentialInstances.delete(oldest.value);
			}
		}
		credentialInstances.set(key, instance);
		return instance;
	}

	async function prepare(request: ChatModelRequest, callOptions: ModelCallOptions) {
		try {
			sdk ??= import("ai");
			const instance = instanceFor(callOptions.credentials);
			const [library, factory] = await Promise.all([sdk, instance.factory]);
			let model = instance.models.get(request.model);
			if (model === undefined) {
				model = factory(request.model);
				instance.models.set(request.model, model);
			}
			return { library, settings: callSettings(model, request, callOptions.signal) };
		} catch (error) {
			sdk = undefined;
			throw new ProviderCallError({
				provider,
				kind: "invalid-response",
				message: `${provider}: could not set up the provider (${error instanceof Error ? error.message : String(error)})`,
				upstreamMessage: "the provider is not set up correctly on this server",
				cause: error,
			});
		}
	}

	return {
		provider,
		async complete(request, callOptions): Promise<ModelResult> {
			const { library, settings } = await prepare(request, callOptions);
			try {
				const result = await library.generateText(settings);
				return {
					text: result.text,
					finishReason: toFinishReason(result.finishReason),
					usage: toTokenUsage(result.usage),
				};
			} catch (error) {
				throw toAiSdkProviderCallError(provider, error, callOptions.signal);
			}
		},
		async *stream(request, callOptions): AsyncIterable<ModelStreamPart> {
			const { library, settings } = await prepare(request, callOptions);
			let finish: ModelStreamPart | undefined;
			try {
				const result = library.streamText({ ...settings, onError: ignoreError });
				for await (const part of result.stream) {
					if (part.type === "text-delta") {
						if (part.text.length > 0) yield { type: "text-delta", text: part.text };
					} else if (part.type === "finish") {
						finish = {
							type: "finish",
							finishReason: toFinishReason(part.finishReason),
							usage: toTokenUsage(part.totalUsage),
						};
					} else if (part.type === "error") {
						throw part.error;
					} else if (part.type === "abort") {
						throw new ProviderCallError({ provider, kind: "aborted", message: `${provider}: call aborted` });
					}
				}
			} catch (error) {
				throw toAiSdkProviderCallError(provider, error, callOptions.signal);
			}
			if (finish === undefined) {
				throw new ProviderCallError({
					provider,
					kind: "stream",
					message: `${provider}: the stream ended before the model finished`,
				});
			}
			yield finish;
		},
	};
}

// The SDK logs stream errors to the console unless told otherwise; ours are thrown and mapped.
const ignoreError = (): void => {};

function callSettings(model: LanguageModel, request: ChatModelRequest, signal: AbortSignal | undefined) {
	const { instructions, messages } = toPrompt(request.messages);
	return {
		model,
		instructions,
		messages,
		temperature: request.temperature,
		topP: request.topP,
		maxOutputTokens: request.maxTokens,
		stopSequences: request.stop,
		seed: request.seed,
		maxRetries: 0,
		abortSignal: signal,
	};
}

/** System messages become the SDK's instructions (providers take them apart from the turns). */
function toPrompt(chatMessages: readonly ChatMessage[]): {
	instructions: SystemModelMessage[] | undefined;
	messages: ModelMessage[];
} {
	let instructions: SystemModelMessage[] | undefined;
	const messages: ModelMessage[] = [];
	for (const message of chatMessages) {
		if (message.role === "system") {
			instructions ??= [];
			instructions.push({ role: "system", content: message.content });
		} else {
			messages.push({ role: message.role, content: message.content });
		}
	}
	return { instructions, messages };
}

function toFinishReason(reason: string): FinishReason {
	switch (reason) {
		case "stop":
		case "length":
		case "error":
		case "other":
			return reason;
		case "content-filter":
			return "content_filter";
		case "tool-calls":
			return "tool_calls";
		default:
			return "other";
	}
}

function toTokenUsage(usage: LanguageModelUsage | undefined): TokenUsage | null {
	if (usage === undefined) return null;
	const { inputTokens, outputTokens } = usage;
	if (inputTokens === undefined && outputTokens === undefined) return null;
	const promptTokens = inputTokens ?? 0;
	const completionTokens = outputTokens ?? 0;
	return { promptTokens, completionTokens, totalTokens: usage.totalTokens ?? promptTokens + completionTokens };
}
