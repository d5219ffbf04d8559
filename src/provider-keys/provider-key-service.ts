import type { Logger } from "pino";
import { AppError } from "../errors.js";
import type { ProviderCredentials } from "../llm/model-port.js";
import type { ResolvedModel } from "../llm/model-router.js";
import { providerNotConfigured } from "../llm/router-errors.js";
import type { ProviderKeyRecord } from "../store/provider-key-port.js";
import type { Store } from "../store/store-port.js";
import { openSecret, SecretUnreadableError, sealSecret } from "./envelope.js";
import { KeyServiceUnavailableError, KeyUnwrapError, type KeyWrapper } from "./key-wrapper.js";

/** Providers a user may bring a key for. Bedrock takes AWS credentials, the mock none. */
export const userKeyProviders = ["openai", "openrouter", "gemini", "anthropic", "openai-compatible"] as const;
export type UserKeyProvider = (typeof userKeyProviders)[number];
const userKeyProviderSet = new Set<string>(userKeyProviders);

/** What may be shown about a stored key: never the key. */
export interface ProviderKeySummary {
	provider: string;
	lastFour: string;
	baseUrl: string | null;
	masterKeyId: string;
	createdAt: number;
	updatedAt: number;
}

/** What the chat paths ask before calling a model. */
export interface ProviderCredentialSource {
	/**
	 * The caller's own key for the model's provider, or undefined to use the server's. Throws
	 * provider_key_required (BYOK_REQUIRED) or unknown_model (the server has no key either).
	 */
	credentialsFor(userId: string, resolved: ResolvedModel): Promise<ProviderCredentials | undefined>;
}

export type ProviderKeyService = ReturnType<typeof createProviderKeyService>;

/**
 * Decrypted keys (and the absence of one) are remembered this long per user and provider, so the
 * chat path decrypts once a minute at most and a user without a key costs one Map lookup. PUT and
 * DELETE in this process drop the entry at once; other processes see the change within this time.
 */
const cacheTtlMs = 60_000;
const maxCachedEntries = 10_000;

export function createProviderKeyService(options: {
	store: Store;
	wrapper: KeyWrapper;
	/** BYOK_REQUIRED: every model call but the mock's needs the caller's own key. */
	required: boolean;
	/** Whether the server has an openai-compatible base URL a user's key can go to without their own. */
	serverOpenAiCompatibleBaseUrl: boolean;
	logger?: Pick<Logger, "warn"> | undefined;
	now?: () => number;
}) {
	const { store, wrapper, required } = options;
	const now = options.now ?? Date.now;
	const cache = new Map<string, { credentials: ProviderCredentials | null; expiresAt: number }>();
	// Bumped on every change: a lookup that started before a change must not cache what it read.
	let generation = 0;

	const cacheKey = (userId: string, provider: string) => `${userId}\u0000${provider}`;

	function forget(userId: string, provider: string): void {
		generation++;
		cache.delete(cacheKey(userId, provider));
	}

	async function decrypt(record: ProviderKeyRecord): Promise<ProviderCredentials> {
		const context = { userId: record.userId, provider: record.provider, baseUrl: record.baseUrl };
		try {
			const apiKey = await openSecret(
				{
					ciphertext: Buffer.from(record.ciphertext),
					iv: Buffer.from(record.iv),
					authTag: Buffer.from(record.authTag),
					wrappedKey: Buffer.from(record.wrappedKey),
					masterKeyId: record.masterKeyId,
				},
				context,
				wrapper,
			);
			return record.baseUrl === null ? { apiKey } : { apiKey, baseUrl: record.baseUrl };
		} catch (error) {
			if (error instanceof KeyServiceUnavailableError) throw keyServiceUnavailable(error);
			if (!(error instanceof KeyUnwrapError || error instanceof SecretUnreadableError)) throw error;
			// The operator must hear of it (a lost or wrong master key); the message holds no secret.
			options.logger?.warn(
				{ user_id: record.userId, provider: record.provider, master_key_id: record.masterKeyId, reason: error.message },
				"stored provider key cannot be decrypted",
			);
			throw new AppError("provider_key_unreadable", {
				detail: `Your stored ${record.provider} key cannot be decrypted on this server; store it again with PUT /v1/users/me/provider-keys/${record.provider}.`,
				cause: error,
			});
		}
	}

	function keyServiceUnavailable(error: KeyServiceUnavailableError): AppError {
		// The reason names the KMS key and the AWS error; KMS never echoes plaintext in errors.
		options.logger?.warn({ reason: error.message }, "the key service (AWS KMS) cannot be reached");
		return new AppError("key_service_unavailable", {
			detail: "Stored provider keys cannot be encrypted or decrypted right now; try again shortly.",
			cause: error,
		});
	}

	async function ownCredentials(userId: string, provider: string): Promise<ProviderCredentials | undefined> {
		const key = cacheKey(userId, provider);
		const at = now();
		const cached = cache.get(key);
		if (cached !== undefined && cached.expiresAt > at) return cached.credentials ?? undefined;
		const startedIn = generation;
		const record = await store.providerKeys.find(userId, provider);
		const credentials = record === undefined ? null : await decrypt(record);
		if (generation === startedIn) {
			if (cache.size >= maxCachedEntries) cache.clear();
			cache.set(key, { credentials, expiresAt: at + cacheTtlMs });
		}
		return credentials ?? undefined;
	}

	return {
		async put(
			userId: string,
			provider: UserKeyProvider,
			input: { apiKey: string; baseUrl?: string | undefined },
		): Promise<ProviderKeySummary> {
			const baseUrl = input.baseUrl ?? null;
			if (baseUrl !== null && provider !== "openai-compatible") {
				throw new AppError("validation_failed", {
					detail: `base_url is only accepted for openai-compatible; ${provider} keys go to the server's ${provider} endpoint`,
				});
			}
			if (provider === "openai-compatible" && baseUrl === null && !options.serverOpenAiCompatibleBaseUrl) {
				throw new AppError("validation_failed", {
					detail: "base_url is required: this server has no OPENAI_COMPATIBLE_BASE_URL for your key to go to",
				});
			}
			const sealed = await sealSecret(input.apiKey, { userId, provider, baseUrl }, wrapper).catch((error: unknown) => {
				throw error instanceof KeyServiceUnavailableError ? keyServiceUnavailable(error) : error;
			});
			const at = now();
			const stored = await store.providerKeys.put({
				userId,
				provider,
				...sealed,
				lastFour: input.apiKey.slice(-4),
				baseUrl,
				createdAt: at,
				updatedAt: at,
			});
			forget(userId, provider);
			return summaryOf(stored);
		},

		async list(userId: string): Promise<ProviderKeySummary[]> {
			return (await store.providerKeys.listByUser(userId)).map(summaryOf);
		},

		async delete(userId: string, provider: UserKeyProvider): Promise<void> {
			const deleted = await store.providerKeys.delete(userId, provider);
			forget(userId, provider);
			if (!deleted) throw new AppError("not_found", { detail: `you have no ${provider} key stored` });
		},

		/** Whether the user could call this model: the server or the user has a key for its provider. */
		async mayUse(userId: string, resolved: ResolvedModel): Promise<boolean> {
			if (resolved.serverCredentials) return true;
			return (
				userKeyProviderSet.has(resolved.provider) &&
				(await store.providerKeys.find(userId, resolved.provider)) !== undefined
			);
		},

		async credentialsFor(userId: string, resolved: ResolvedModel): Promise<ProviderCredentials | undefined> {
			const provider = resolved.provider;
			// The mock costs nothing and calls nobody: exempt, and no lookup on its hot path.
			if (provider === "mock") return undefined;
			if (!userKeyProviderSet.has(provider)) {
				if (required) {
					throw new AppError("provider_key_required", {
						detail: `Model ${resolved.id} is served by ${provider}, which cannot take users' own keys, and this server requires them (BYOK_REQUIRED).`,
					});
				}
				return undefined;
			}
			const credentials = await ownCredentials(userId, provider);
			if (credentials !== undefined) return credentials;
			if (required) {
				throw new AppError("provider_key_required", {
					detail: `Model ${resolved.id} needs your own ${provider} key on this server; store it with PUT /v1/users/me/provider-keys/${provider}.`,
				});
			}
			if (!resolved.serverCredentials) throw providerNotConfigured(resolved.id, provider);
			return undefined;
		},
	} satisfies ProviderCredentialSource & Record<string, unknown>;
}

function summaryOf(record: ProviderKeyRecord): ProviderKeySummary {
	return {
		provider: record.provider,
		lastFour: record.lastFour,
		baseUrl: record.baseUrl,
		masterKeyId: record.masterKeyId,
		createdAt: record.createdAt,
		updatedAt: record.updatedAt,
	};
}
