import { createAccessTokens } from "../auth/access-tokens.js";
import { loadSigningKeys } from "../auth/signing-keys.js";
import type { Config } from "../config.js";
import { createStore } from "../store/create-store.js";
import { createUserService } from "../users/user-service.js";

/**
 * An access token for a user, made with the server's own signing key (the seed's
 * generate_token script). The operator already holds the key, so this needs no login.
 */
export async function tokenCommand(
	config: Config,
	identity: { email?: string | undefined; username?: string | undefined; roles: string[] },
): Promise<string> {
	const store = await createStore(config.databaseUrl, { pool: config.databasePool });
	try {
		await store.migrate();
		const users = createUserService({ store, adminEmails: config.auth.adminEmails });
		let user = await users.findOrCreateDevUser({ email: identity.email?.toLowerCase(), username: identity.username });
		const missingRoles = identity.roles.filter((role) => !user.roles.includes(role));
		if (missingRoles.length > 0) {
			user = (await store.users.update(user.id, { roles: [...user.roles, ...missingRoles] }, Date.now())) ?? user;
		}
		const keys = await loadSigningKeys({
			algorithm: config.auth.signingAlgorithm,
			configuredKey: config.auth.signingKey,
			dataDirectory: config.dataDirectory,
		});
		const tokens = createAccessTokens({
			keys,
			issuer: config.auth.tokenIssuer,
			audience: config.auth.tokenAudience,
			ttlSeconds: config.auth.accessTokenTtlSeconds,
		});
		return (await tokens.issue(user)).token;
	} finally {
		await store.close();
	}
}
