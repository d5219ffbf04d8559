import { AppError } from "../errors.js";
import { newId } from "../store/ids.js";
import type { ApiKeyRecord, Store } from "../store/store-port.js";
import type { UserService } from "../users/user-service.js";
import type { Principal } from "./principal.js";
import { randomSecret, sha256Hex } from "./secrets.js";

/** Every Parley API key starts with this, so a bearer value can be told from a JWT at a glance. */
export const apiKeyPrefix = "prl_";

const verifiedTtlMs = 30_000;
const touchIntervalMs = 60_000;

export interface CreatedApiKey {
	record: ApiKeyRecord;
	/** The whole key. Returned once, at creation; only its hash is stored. */
	secret: string;
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;

export function createApiKeyService(options: { store: Store; users: UserService; now?: () => number }) {
	const { store, users } = options;
	const now = options.now ?? Date.now;
	// Verified keys are remembered briefly: revocation in this process takes effect at once (the
	// entry is dropped), in other processes within verifiedTtlMs.
	const verified = new Map<string, { principal: Principal; verifiedAt: number; keyId: string }>();

	return {
		async create(
			userId: string,
			input: { name: string; expiresAt?: number | null | undefined },
		): Promise<CreatedApiKey> {
			const secret = `${apiKeyPrefix}${randomSecret()}`;
			const record: ApiKeyRecord = {
				id: newId(),
				userId,
				name: input.name,
				prefix: secret.slice(0, 8),
				lastFour: secret.slice(-4),
				keyHash: sha256Hex(secret),
				createdAt: now(),
				expiresAt: input.expiresAt ?? null,
				lastUsedAt: null,
				revokedAt: null,
			};
			await store.apiKeys.create(record);
			return { record, secret };
		},

		list: (userId: string) => store.apiKeys.listByUser(userId),

		async revoke(userId: string, id: string): Promise<void> {
			if (!(await store.apiKeys.revoke(userId, id, now()))) {
				throw new AppError("not_found", { detail: "API key not found" });
			}
			for (const [hash, entry] of verified) if (entry.keyId === id) verified.delete(hash);
		},

		/** Throws invalid_api_key for unknown, revoked or expired keys. */
		async authenticate(secret: string): Promise<Principal> {
			const keyHash = sha256Hex(secret);
			const at = now();
			const cached = verified.get(keyHash);
			if (cached && at - cached.verifiedAt < verifiedTtlMs) return cached.principal;
			const record = await store.apiKeys.findByHash(keyHash);
			if (!record || record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= at)) {
				verified.delete(keyHash);
				throw new AppError("invalid_api_key");
			}
			const user = await users.get(record.userId).catch(() => undefined);
			if (!user) throw new AppError("invalid_api_key");
			const principal: Principal = {
				userId: user.id,
				email: user.email,
				username: user.username,
				roles: user.roles,
				method: "api-key",
				apiKeyId: record.id,
				mayActForOthers: false,
			};
			verified.set(keyHash, { principal, verifiedAt: at, keyId: record.id });
			if (record.lastUsedAt === null || at - record.lastUsedAt > touchIntervalMs) {
				// Best effort bookkeeping: a failed touch must not fail the request.
				store.apiKeys.touch(record.id, at).catch(() => undefined);
			}
			return principal;
		},
	};
}
