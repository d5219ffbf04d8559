import { timingSafeEqual } from "node:crypto";
import type { UserService } from "../users/user-service.js";
import type { Principal } from "./principal.js";
import { sha256Hex } from "./secrets.js";

/**
 * Static keys from API_KEYS / API_KEY: credentials of an application's backend rather than of a
 * person. Compared by hash in constant time, so neither a key's length nor its prefix leaks.
 */
export function createServiceKeys(options: { keys: string[]; users: UserService }) {
	const hashes = options.keys.map((key) => Buffer.from(sha256Hex(key), "hex"));
	let principal: Promise<Principal> | undefined;

	const servicePrincipal = async (): Promise<Principal> => {
		const account = await options.users.serviceAccount();
		return {
			userId: account.id,
			email: account.email,
			username: account.username,
			roles: account.roles,
			method: "service-key",
			apiKeyId: null,
			mayActForOthers: true,
		};
	};

	return {
		enabled: hashes.length > 0,
		/** The service principal when `key` is one of the static keys, else undefined. */
		async verify(key: string): Promise<Principal | undefined> {
			if (hashes.length === 0) return undefined;
			const candidate = Buffer.from(sha256Hex(key), "hex");
			let matched = false;
			for (const hash of hashes) matched = timingSafeEqual(hash, candidate) || matched;
			if (!matched) return undefined;
			principal ??= servicePrincipal().catch((error) => {
				principal = undefined;
				throw error;
			});
			return principal;
		},
	};
}

export type ServiceKeys = ReturnType<typeof createServiceKeys>;
