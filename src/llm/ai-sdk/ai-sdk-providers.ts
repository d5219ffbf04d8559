import type { LanguageModel } from "ai";

/**
 * Provider packages for the protocols that are not Chat Completions. Each is imported on first
 * use only: together they cost a few hundred milliseconds of start-up, which a Lambda cold start
 * or a server that never calls them should not pay.
 */

export type AiSdkProviderName = "gemini" | "anthropic" | "bedrock";

export interface AiSdkProviderSettings {
	apiKey?: string | undefined;
	/** The provider's API base including its version path, e.g. https://api.anthropic.com/v1. */
	baseUrl?: string | undefined;
	/** Bedrock only; the AWS SDK's resolution (AWS_REGION, profile) when omitted. */
	region?: string | undefined;
}

/** A configured provider instance: model id in, language model out. */
export type LanguageModelFactory = (modelId: string) => LanguageModel;

export async function loadLanguageModelFactory(
	provider: AiSdkProviderName,
	settings: AiSdkProviderSettings,
): Promise<LanguageModelFactory> {
	switch (provider) {
		case "anthropic": {
			const { createAnthropic } = await import("@ai-sdk/anthropic");
			const instance = createAnthropic({ apiKey: settings.apiKey, baseURL: settings.baseUrl });
			return (modelId) => instance(modelId);
		}
		case "gemini": {
			const { createGoogleGenerativeAI } = await import("@ai-sdk/google");
			const instance = createGoogleGenerativeAI({ apiKey: settings.apiKey, baseURL: settings.baseUrl });
			return (modelId) => instance(modelId);
		}
		case "bedrock": {
			const { createAmazonBedrock } = await import("@ai-sdk/amazon-bedrock");
			const instance = createAmazonBedrock({
				region: settings.region,
				baseURL: settings.baseUrl,
				...(await bedrockAuthentication(settings.apiKey)),
			});
			return (modelId) => instance(modelId);
		}
	}
}

/**
 * A Bedrock API key when there is one (the provider also reads AWS_BEARER_TOKEN_BEDROCK, which
 * wins over SigV4); otherwise the AWS SDK's default chain (environment, SSO and shared profiles,
 * ECS and EC2 roles, web identity), which @ai-sdk/amazon-bedrock alone does not walk.
 */
async function bedrockAuthentication(apiKey: string | undefined) {
	if (apiKey !== undefined) return { apiKey };
	const { fromNodeProviderChain } = await import("@aws-sdk/credential-providers");
	return { credentialProvider: fromNodeProviderChain() };
}
