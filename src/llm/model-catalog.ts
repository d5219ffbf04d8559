import type { LlmProviderName } from "../config.js";

/** What Parley knows about models without asking providers: public ids and context windows. */

export const mockModelId = "mock/parley-mock-1";

/** The setting that enables each provider, for error messages that say how to fix things. */
export const providerSetting: Record<LlmProviderName, string> = {
	openai: "OPENAI_API_KEY",
	openrouter: "OPENROUTER_API_KEY",
	gemini: "GEMINI_API_KEY",
	bedrock: "LLM_PROVIDER=bedrock or AWS_REGION",
	anthropic: "ANTHROPIC_API_KEY",
	"openai-compatible": "OPENAI_COMPATIBLE_BASE_URL",
	mock: "nothing (always available)",
};

/**
 * Context windows in tokens, first match wins. Matched against the model id without any vendor
 * prefix ("openai/gpt-4o" and "us.anthropic.claude-…" match too).
 */
const contextWindows: ReadonlyArray<readonly [RegExp, number]> = [
	[/gpt-4\.1/, 1_047_576],
	[/gpt-5/, 400_000],
	[/gpt-4o|chatgpt-4o|gpt-4-turbo|gpt-4-\d{4}-preview/, 128_000],
	[/gpt-4-32k/, 32_768],
	[/gpt-4/, 8_192],
	[/gpt-3\.5-turbo/, 16_385],
	[/(^|[/.])o1-(mini|preview)/, 128_000],
	[/(^|[/.])o[134](-|$)/, 200_000],
	[/claude/, 200_000],
	[/gemini-1\.5-pro/, 2_097_152],
	[/gemini/, 1_048_576],
	[/llama-?3\.[123]/, 131_072],
	[/llama-?3/, 8_192],
];

export function knownContextWindow(model: string): number | undefined {
	const id = model.toLowerCase();
	for (const [pattern, tokens] of contextWindows) if (pattern.test(id)) return tokens;
	return undefined;
}
