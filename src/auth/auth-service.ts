import { AppError } from "../errors.js";
import { newId } from "../store/ids.js";
import type { Store, UserRecord } from "../store/store-port.js";
import type { UserService } from "../users/user-service.js";
import type { AccessTokens } from "./access-tokens.js";
import type { PasswordHasher } from "./passwords.js";
import { randomSecret, sha256Hex } from "./secrets.js";

export interface TokenSet {
	accessToken: string;
	refreshToken: string;
	expiresIn: number;
	user: UserRecord;
}

export interface LoginInput {
	email?: string | undefined;
	username?: string | undefined;
	password?: string | undefined;
}

export type AuthService = ReturnType<typeof createAuthService>;

/**
 * Accounts and sessions. A session is a family of refresh tokens: each refresh consumes the
 * presented token and issues the next one in the family; presenting a consumed token again means
 * it leaked, so the whole family is revoked (OAuth 2.0 Security BCP, refresh token rotation).
 */
export function createAuthService(options: {
	store: Store;
	users: UserService;
	accessTokens: AccessTokens;
	passwords: PasswordHasher;
	refreshTokenTtlSeconds: number;
	devLogin: boolean;
	now?: () => number;
}) {
	const { store, users, accessTokens, passwords } = options;
	const now = options.now ?? Date.now;

	async function issueTokens(user: UserRecord, familyId: string = newId()): Promise<TokenSet> {
		const refreshToken = randomSecret();
		const createdAt = now();
		await store.refreshTokens.create({
			id: newId(),
			userId: user.id,
			familyId,
			tokenHash: sha256Hex(refreshToken),
			createdAt,
			expiresAt: createdAt + options.refreshTokenTtlSeconds * 1000,
		});
		const access = await accessTokens.issue(user);
		return { accessToken: access.token, refreshToken, expiresIn: access.expiresIn, user };
	}

	async function findAccount(input: LoginInput): Promise<UserRecord | undefined> {
		if (input.email) return store.users.findByEmail(input.email);
		if (input.username) {
			// People type their email into a "username" box; accept it there too.
			if (input.username.includes("@")) return store.users.findByEmail(input.username.toLowerCase());
			return store.users.findByUsername(input.username);
		}
		return undefined;
	}

	return {
		issueTokens,

		async register(input: {
			email?: string | undefined;
			password: string;
			username?: string | undefined;
			name?: string | undefined;
		}) {
			return users.register({ ...input, passwordHash: await passwords.hash(input.password) });
		},

		async login(input: LoginInput): Promise<TokenSet> {
			if (input.password === undefined) {
				if (!options.devLogin) throw new AppError("dev_login_disabled");
				const existing = await findAccount(input);
				// Development login never opens an account that has a password.
				if (existing?.passwordHash) throw new AppError("invalid_credentials");
				return issueTokens(existing ?? (await users.findOrCreateDevUser(input)));
			}
			const user = await findAccount(input);
			if (!user?.passwordHash) {
				await passwords.verifyAgainstNothing(input.password);
				throw new AppError("invalid_credentials");
			}
			if (!(await passwords.verify(user.passwordHash, input.password))) throw new AppError("invalid_credentials");
			return issueTokens(user);
		},

		async refresh(refreshToken: string): Promise<TokenSet> {
			const record = await store.refreshTokens.findByHash(sha256Hex(refreshToken));
			if (!record || record.revokedAt !== null || record.expiresAt <= now()) {
				throw new AppError("invalid_refresh_token");
			}
			const outcome = await store.refreshTokens.consume(record.id, now());
			if (outcome === "already-used") {
				await store.refreshTokens.revokeFamily(record.familyId, now());
				throw new AppError("refresh_token_reused");
			}
			if (outcome !== "consumed") throw new AppError("invalid_refresh_token");
			const user = await store.users.findById(record.userId);
			if (!user) throw new AppError("invalid_refresh_token");
			return issueTokens(user, record.familyId);
		},

		/** Ends the session the refresh token belongs to; or every session of `userId` when given. */
		async logout(input: { refreshToken?: string | undefined; everywhereForUserId?: string | undefined }) {
			if (input.everywhereForUserId) await store.refreshTokens.revokeAllForUser(input.everywhereForUserId, now());
			if (input.refreshToken) {
				const record = await store.refreshTokens.findByHash(sha256Hex(input.refreshToken));
				if (record) await store.refreshTokens.revokeFamily(record.familyId, now());
			}
		},
	};
}
