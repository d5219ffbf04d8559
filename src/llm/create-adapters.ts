import type { Config } from "../config.js";
import { createAiSdkAdapter } from "./ai-sdk/ai-sdk-adapter.js";
import { createMockModel } from "./mock/mock-model.js";
import type { LanguageModelAdapter } from "./model-port.js";
import { createOpenAIWireAdapter } from "./openai-wire/openai-wire-adapter.js";

/** One adapter per provider whose settings are present; the mock always. Keyed by provider name. */
export function createAdapters(config: Config["llm"]): Map<string, LanguageModelAdapter> {
	const adapters = new Map<string, LanguageModelAdapter>();
	const timeouts = {
		connectTimeoutMs: config.connectTimeoutMs,
		timeoutMs: config.timeoutMs,
		idleTimeoutMs: config.streamIdleTimeoutMs,
	};

	if (config.openai) {
		adapters.set(
			"openai",
			createOpenAIWireAdapter({
				provider: "openai",
				baseUrl: config.openai.baseUrl,
				apiKey: config.openai.apiKey,
				// OpenAI's reasoning models refuse max_tokens; servers merely imitating OpenAI often ignore its successor.
				maxTokensField: isOpenAIItself(config.openai.baseUrl) ? "max_completion_tokens" : "max_tokens",
				...timeouts,
			}),
		);
	}
	if (config.openrouter) {
		adapters.set(
			"openrouter",
			createOpenAIWireAdapter({
				provider: "openrouter",
				baseUrl: config.openrouter.baseUrl,
				apiKey: config.openrouter.apiKey,
				// Attribution on openrouter.ai's app rankings; harmless elsewhere.
				headers: { "X-Title": "Parley" },
				...timeouts,
			}),
		);
	}
	if (config.openaiCompatible) {
		adapters.set(
			"openai-compatible",
			createOpenAIWireAdapter({
				provider: "openai-compatible",
				baseUrl: config.openaiCompatible.baseUrl,
				apiKey: config.openaiCompatible.apiKey,
				...timeouts,
			}),
		);
	}
	if (config.gemini) adapters.set("gemini", createAiSdkAdapter({ provider: "gemini", apiKey: config.gemini.apiKey }));
	if (config.anthropic) {
		adapters.set(
			"anthropic",
			createAiSdkAdapter({ provider: "anthropic", apiKey: config.anthropic.apiKey, baseUrl: config.anthropic.baseUrl }),
		);
	}
	if (config.bedrock)
		adapters.set("bedrock", createAiSdkAdapter({ provider: "bedrock", region: config.bedrock.region }));
	adapters.set("mock", createMockModel(config.mock));
	return adapters;
}

/**
 * Adapters without a server key for the providers users may bring their own key for, where the
 * server has none: calls reach them only with a user's credentials (the router refuses others).
 */
export function createUserKeyAdapters(
	config: Config["llm"],
	configured: ReadonlySet<string>,
): Map<string, LanguageModelAdapter> {
	const adapters = new Map<string, LanguageModelAdapter>();
	const timeouts = { connectTimeoutMs: config.connectTimeoutMs, timeoutMs: config.timeoutMs };
	const baseUrls = config.userKeyBaseUrls;
	if (!configured.has("openai")) {
		adapters.set(
			"openai",
			createOpenAIWireAdapter({
				provider: "openai",
				baseUrl: baseUrls.openai,
				maxTokensField: isOpenAIItself(baseUrls.openai) ? "max_completion_tokens" : "max_tokens",
				...timeouts,
			}),
		);
	}
	if (!configured.has("openrouter")) {
		adapters.set(
			"openrouter",
			createOpenAIWireAdapter({
				provider: "openrouter",
				baseUrl: baseUrls.openrouter,
				headers: { "X-Title": "Parley" },
				...timeouts,
			}),
		);
	}
	if (!configured.has("openai-compatible")) {
		// Every user's key carries its own base URL here (the server has none to offer).
		adapters.set(
			"openai-compatible",
			createOpenAIWireAdapter({ provider: "openai-compatible", baseUrl: baseUrls.openaiCompatible, ...timeouts }),
		);
	}
	if (!configured.has("gemini")) adapters.set("gemini", createAiSdkAdapter({ provider: "gemini" }));
	if (!configured.has("anthropic")) {
		adapters.set("anthropic", createAiSdkAdapter({ provider: "anthropic", baseUrl: baseUrls.anthropic }));
	}
	return adapters;
}

function isOpenAIItself(baseUrl: string): boolean {
	try {
		return new URL(baseUrl).hostname === "api.openai.com";
	} catch {
		return false;
	}
}
