/** What a model costs, in US dollars per million tokens. */
export interface ModelPrice {
	input: number;
	output: number;
}

/**
 * List prices of the models Parley names as defaults and of common ones, keyed by public model
 * id ("provider/model"). Standard tier, text only: no batch, cache or long-context rates. Taken
 * from the providers' public price pages (OpenAI, Anthropic, Google AI, AWS Bedrock, OpenRouter)
 * as published in late 2025. Prices change: LLM_PRICES overrides any of them and adds others.
 */
const builtInPrices: Readonly<Record<string, ModelPrice>> = {
	"openai/gpt-4o-mini": { input: 0.15, output: 0.6 },
	"openai/gpt-4o": { input: 2.5, output: 10 },
	"openai/gpt-4.1": { input: 2, output: 8 },
	"openai/gpt-4.1-mini": { input: 0.4, output: 1.6 },
	"openai/gpt-4.1-nano": { input: 0.1, output: 0.4 },
	"openai/gpt-5": { input: 1.25, output: 10 },
	"openai/gpt-5-mini": { input: 0.25, output: 2 },
	"openai/gpt-5-nano": { input: 0.05, output: 0.4 },
	"openai/o4-mini": { input: 1.1, output: 4.4 },
	"openai/o3": { input: 2, output: 8 },
	"openai/gpt-3.5-turbo": { input: 0.5, output: 1.5 },

	"anthropic/claude-haiku-4-5": { input: 1, output: 5 },
	"anthropic/claude-sonnet-4-5": { input: 3, output: 15 },
	"anthropic/claude-sonnet-4-0": { input: 3, output: 15 },
	"anthropic/claude-sonnet-4": { input: 3, output: 15 },
	"anthropic/claude-opus-4-1": { input: 15, output: 75 },
	"anthropic/claude-3-7-sonnet": { input: 3, output: 15 },
	"anthropic/claude-3-5-haiku": { input: 0.8, output: 4 },

	"gemini/gemini-2.5-flash": { input: 0.3, output: 2.5 },
	"gemini/gemini-2.5-flash-lite": { input: 0.1, output: 0.4 },
	"gemini/gemini-2.5-pro": { input: 1.25, output: 10 },
	"gemini/gemini-2.0-flash": { input: 0.1, output: 0.4 },

	"bedrock/anthropic.claude-3-5-haiku-20241022-v1:0": { input: 0.8, output: 4 },
	"bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0": { input: 3, output: 15 },
	"bedrock/anthropic.claude-sonnet-4-20250514-v1:0": { input: 3, output: 15 },
	"bedrock/anthropic.claude-haiku-4-5-20251001-v1:0": { input: 1, output: 5 },

	"openrouter/openai/gpt-4o-mini": { input: 0.15, output: 0.6 },
	"openrouter/openai/gpt-4o": { input: 2.5, output: 10 },
	"openrouter/openai/gpt-4.1-mini": { input: 0.4, output: 1.6 },
	"openrouter/anthropic/claude-haiku-4.5": { input: 1, output: 5 },
	"openrouter/anthropic/claude-sonnet-4.5": { input: 3, output: 15 },
	"openrouter/google/gemini-2.5-flash": { input: 0.3, output: 2.5 },
	"openrouter/google/gemini-2.5-pro": { input: 1.25, output: 10 },
};

/** The offline mock costs nothing, whatever id it answers for. */
const free: ModelPrice = { input: 0, output: 0 };

/** "claude-sonnet-4-5-20250929", "gpt-4o-2024-08-06", "claude-3-5-haiku-latest": priced as their family. */
const versionSuffix = /-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$/;
/** Bedrock's cross-region inference profiles ("us.anthropic.claude-…") cost what the model costs. */
const bedrockRegionPrefix = /^bedrock\/(us|eu|apac|global)\./;

export interface PriceTable {
	/** The price of a public model id, or undefined when Parley does not know it. */
	priceOf(modelId: string): ModelPrice | undefined;
	/**
	 * What a call cost in micro-dollars (integer), or null when the model has no price. Prices per
	 * million tokens are micro-dollars per token, so the cost is a plain weighted sum.
	 */
	costMicroUsd(modelId: string, tokens: { promptTokens: number; completionTokens: number }): number | null;
}

/** `overrides` (LLM_PRICES) win over the built-in prices, id by id. */
export function createPriceTable(overrides: Readonly<Record<string, ModelPrice>> = {}): PriceTable {
	const prices = new Map<string, ModelPrice>([...Object.entries(builtInPrices), ...Object.entries(overrides)]);
	// One lookup per model call: remember answers, including "unknown", per id.
	const resolved = new Map<string, ModelPrice | null>();

	function lookUp(modelId: string): ModelPrice | null {
		const candidates = [modelId, modelId.replace(bedrockRegionPrefix, "bedrock/")];
		for (const candidate of candidates) {
			const exact = prices.get(candidate) ?? prices.get(candidate.replace(versionSuffix, ""));
			if (exact !== undefined) return exact;
		}
		return modelId.startsWith("mock/") ? free : null;
	}

	function priceOf(modelId: string): ModelPrice | undefined {
		let price = resolved.get(modelId);
		if (price === undefined) {
			price = lookUp(modelId);
			// Model ids come from configuration and requests; bound the memo so odd ids cannot grow it forever.
			if (resolved.size < 10_000) resolved.set(modelId, price);
		}
		return price ?? undefined;
	}

	return {
		priceOf,
		costMicroUsd(modelId, tokens) {
			const price = priceOf(modelId);
			if (price === undefined) return null;
			return Math.round(tokens.promptTokens * price.input + tokens.completionTokens * price.output);
		},
	};
}
