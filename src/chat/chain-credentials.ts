import type { ProviderCredentials } from "../llm/model-port.js";
import type { ModelChain, ResolvedModel } from "../llm/model-router.js";
import { providerNotConfigured } from "../llm/router-errors.js";

export type CredentialLookup = (
	model: ResolvedModel,
) => ProviderCredentials | undefined | Promise<ProviderCredentials | undefined>;

/**
 * The caller's own key for every model of a chain, looked up before anything is called: a model
 * the caller cannot reach (a provider served only with users' keys, and they have none; or
 * BYOK_REQUIRED) is refused up front, not halfway through the fallbacks. Chains are short.
 */
export async function chainCredentials(
	chain: ModelChain<ResolvedModel>,
	lookup: CredentialLookup | undefined,
): Promise<(model: ResolvedModel) => ProviderCredentials | undefined> {
	if (lookup === undefined && chain.every((model) => model.serverCredentials)) return () => undefined;
	const found = await Promise.all(chain.map((model) => lookup?.(model)));
	const byModel = new Map<ResolvedModel, ProviderCredentials | undefined>();
	chain.forEach((model, index) => {
		const credentials = found[index];
		if (credentials === undefined && !model.serverCredentials) throw providerNotConfigured(model.id, model.provider);
		byModel.set(model, credentials);
	});
	return (model) => byModel.get(model);
}
