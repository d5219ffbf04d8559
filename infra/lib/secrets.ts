import { SecretValue } from "aws-cdk-lib";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";

/** Everything but 0-9 and a-f: Secrets Manager then generates 64 hex digits, a 256-bit key. */
const notHex = "ghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

function generatedHexSecret(scope: Construct, id: string, variable: string, description: string): Secret {
	return new Secret(scope, id, {
		description,
		generateSecretString: {
			secretStringTemplate: "{}",
			generateStringKey: variable,
			passwordLength: 64,
			excludePunctuation: true,
			includeSpace: false,
			excludeCharacters: notHex,
		},
	});
}

/**
 * Parley's secrets, read by the functions at cold start (SECRETS_MANAGER_SECRET_IDS), never put in
 * their environment: the token signing key's seed and the master key of users' provider keys
 * (both generated here), and the operator's own provider keys (filled in after deploying, README).
 */
export function createSecrets(scope: Construct) {
	const signingKey = generatedHexSecret(
		scope,
		"SigningKeySeed",
		"AUTH_SIGNING_KEY_SEED",
		"Parley: seed of the access-token signing key",
	);
	const masterKey = generatedHexSecret(
		scope,
		"MasterKey",
		"PARLEY_MASTER_KEY",
		"Parley: master key wrapping users' provider keys",
	);
	const providerKeys = new Secret(scope, "ProviderKeys", {
		description: 'Parley: the operator\'s LLM provider keys as environment variables, e.g. {"OPENAI_API_KEY": "sk-…"}',
		// An empty object until the operator stores keys; "{}" holds nothing secret.
		secretStringValue: SecretValue.unsafePlainText("{}"),
	});
	return { signingKey, masterKey, providerKeys, all: [signingKey, masterKey, providerKeys] };
}
