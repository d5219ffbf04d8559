import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

/**
 * Settings kept in AWS Secrets Manager instead of the function's environment, where anyone who
 * may read the function's configuration would see them. SECRETS_MANAGER_SECRET_IDS names JSON
 * secrets whose members are environment variables (`{"AUTH_SIGNING_KEY_SEED": "…",
 * "OPENAI_API_KEY": "…"}`); they are read once per cold start, before the configuration is
 * loaded. A variable set in the environment itself wins, so one can be overridden per function.
 */

const variableName = /^[A-Z][A-Z0-9_]*$/;

export async function withSecretEnvironment(
	environment: NodeJS.ProcessEnv,
	client: () => SecretsManagerClient = () => new SecretsManagerClient({}),
): Promise<NodeJS.ProcessEnv> {
	const ids = (environment.SECRETS_MANAGER_SECRET_IDS ?? "")
		.split(",")
		.map((id) => id.trim())
		.filter((id) => id !== "");
	if (ids.length === 0) return environment;
	const secrets = client();
	try {
		const merged: NodeJS.ProcessEnv = {};
		for (const id of ids) {
			const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: id }));
			let values: unknown;
			try {
				values = JSON.parse(SecretString ?? "");
			} catch {
				// The secret's text is never echoed: it is the secret.
				throw new Error(`secret ${id} is not a JSON object of environment variables`);
			}
			if (typeof values !== "object" || values === null || Array.isArray(values)) {
				throw new Error(`secret ${id} is not a JSON object of environment variables`);
			}
			for (const [name, value] of Object.entries(values)) {
				if (!variableName.test(name) || typeof value !== "string") {
					throw new Error(
						`secret ${id} has member ${JSON.stringify(name)}, which is not a string environment variable`,
					);
				}
				merged[name] = value;
			}
		}
		return { ...merged, ...withoutEmpty(environment) };
	} finally {
		secrets.destroy();
	}
}

function withoutEmpty(environment: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
	return Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== undefined && value !== ""));
}
