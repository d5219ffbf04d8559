import { AppError } from "../errors.js";
import { newId } from "../store/ids.js";
import { type NewUser, type Store, StoreConflictError, type UserPatch, type UserRecord } from "../store/store-port.js";

export interface ProfilePatch {
	name?: string | null | undefined;
	preferences?: Record<string, unknown> | undefined;
	defaultModel?: string | null | undefined;
	memoryEnabled?: boolean | undefined;
}

export interface ExternalIdentity {
	issuer: string;
	subject: string;
	email: string | null;
	username: string | null;
	roles: string[];
}

/** Issuers Parley itself uses for accounts that have no password. */
export const delegatedIssuer = "parley:delegated";
export const serviceIssuer = "parley:service";

export type UserService = ReturnType<typeof createUserService>;

export function createUserService(options: { store: Store; adminEmails: string[]; now?: () => number }) {
	const { store } = options;
	const now = options.now ?? Date.now;
	const adminEmails = new Set(options.adminEmails.map((email) => email.toLowerCase()));
	const rolesFor = (email: string | null, extra: string[] = []) => {
		const roles = new Set(["user", ...extra]);
		if (email && adminEmails.has(email)) roles.add("admin");
		return [...roles];
	};

	const blankUser = (fields: Partial<NewUser>): NewUser => ({
		id: newId(),
		email: null,
		username: null,
		name: null,
		roles: ["user"],
		preferences: {},
		defaultModel: null,
		memoryEnabled: true,
		passwordHash: null,
		externalIssuer: null,
		externalSubject: null,
		createdAt: now(),
		...fields,
	});

	/** Creates, or when a concurrent request created the same account first, returns that one. */
	async function createOrFind(user: NewUser, find: () => Promise<UserRecord | undefined>): Promise<UserRecord> {
		try {
			return await store.users.create(user);
		} catch (error) {
			if (!(error instanceof StoreConflictError)) throw error;
			const existing = await find();
			if (existing) return existing;
			throw error;
		}
	}

	async function get(userId: string): Promise<UserRecord> {
		const user = await store.users.findById(userId);
		if (!user) throw new AppError("not_found", { detail: "user not found" });
		return user;
	}

	return {
		get,
		rolesFor,

		async register(input: {
			email?: string | undefined;
			username?: string | undefined;
			name?: string | undefined;
			passwordHash: string;
		}) {
			try {
				return await store.users.create(
					blankUser({
						email: input.email ?? null,
						username: input.username ?? null,
						name: input.name ?? null,
						passwordHash: input.passwordHash,
						roles: rolesFor(input.email ?? null),
					}),
				);
			} catch (error) {
				if (error instanceof StoreConflictError && error.field === "email") throw new AppError("email_taken");
				if (error instanceof StoreConflictError && error.field === "username") throw new AppError("username_taken");
				throw error;
			}
		},

		async updateProfile(userId: string, patch: ProfilePatch): Promise<UserRecord> {
			const change: UserPatch = {};
			if (patch.name !== undefined) change.name = patch.name;
			if (patch.preferences !== undefined) change.preferences = patch.preferences;
			if (patch.defaultModel !== undefined) change.defaultModel = patch.defaultModel;
			if (patch.memoryEnabled !== undefined) change.memoryEnabled = patch.memoryEnabled;
			const updated = await store.users.update(userId, change, now());
			if (!updated) throw new AppError("not_found", { detail: "user not found" });
			return updated;
		},

		/** Password-less development accounts (AUTH_DEV_LOGIN): found or created by email or username. */
		async findOrCreateDevUser(identity: { email?: string | undefined; username?: string | undefined }) {
			if (identity.email) {
				const email = identity.email;
				const find = () => store.users.findByEmail(email);
				return (await find()) ?? createOrFind(blankUser({ email, roles: rolesFor(email) }), find);
			}
			const username = identity.username as string;
			const find = () => store.users.findByUsername(username);
			return (await find()) ?? createOrFind(blankUser({ username }), find);
		},

		/** Users of an external identity provider, provisioned the first time their token is seen. */
		async findOrCreateExternalUser(identity: ExternalIdentity): Promise<UserRecord> {
			const find = () => store.users.findByExternalSubject(identity.issuer, identity.subject);
			const existing = await find();
			if (existing) return existing;
			// Never link to a local account by email: whoever controls the IdP entry would take it over.
			const emailFree = identity.email !== null && (await store.users.findByEmail(identity.email)) === undefined;
			const usernameFree =
				identity.username !== null && (await store.users.findByUsername(identity.username)) === undefined;
			return createOrFind(
				blankUser({
					email: emailFree ? identity.email : null,
					username: usernameFree ? identity.username : null,
					roles: rolesFor(identity.email, identity.roles),
					externalIssuer: identity.issuer,
					externalSubject: identity.subject,
				}),
				find,
			);
		},

		/**
		 * The end user a trusted caller names with `userId` (a static service key, or an anonymous
		 * request in development mode): for service keys an existing account with that id, else an
		 * account keyed by that external id, created on first use. Development-mode anonymous
		 * requests never match existing ids, so they cannot reach password-protected accounts.
		 */
		async findOrCreateDelegatedUser(externalId: string, options: { matchUserIds: boolean }): Promise<UserRecord> {
			if (options.matchUserIds) {
				const byId = await store.users.findById(externalId);
				if (byId) return byId;
			}
			const find = () => store.users.findByExternalSubject(delegatedIssuer, externalId);
			const existing = await find();
			if (existing) return existing;
			const usernameFree = (await store.users.findByUsername(externalId)) === undefined;
			return createOrFind(
				blankUser({
					username: usernameFree && /^[A-Za-z0-9_.-]{3,32}$/.test(externalId) ? externalId : null,
					externalIssuer: delegatedIssuer,
					externalSubject: externalId,
				}),
				find,
			);
		},

		/** The account that owns requests made with a static service key and no `userId`. */
		async serviceAccount(): Promise<UserRecord> {
			const find = () => store.users.findByExternalSubject(serviceIssuer, "default");
			return (
				(await find()) ??
				createOrFind(
					blankUser({
						name: "Service account",
						roles: ["service"],
						externalIssuer: serviceIssuer,
						externalSubject: "default",
					}),
					find,
				)
			);
		},
	};
}
