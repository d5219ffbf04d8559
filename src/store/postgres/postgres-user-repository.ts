import type { NewUser, UserPatch, UserRecord, UserRepository } from "../store-port.js";
import { withConflictsMapped } from "./postgres-conflicts.js";
import { type PostgresRepositoryDependencies, type Queryable, queryOne } from "./postgres-repository-support.js";

const userColumns = `id, email, username, name, roles, preferences, default_model AS "defaultModel",
	memory_enabled AS "memoryEnabled", password_hash AS "passwordHash", external_issuer AS "externalIssuer",
	external_subject AS "externalSubject", created_at AS "createdAt", updated_at AS "updatedAt"`;

const conflictFields = {
	users_email_unique: "email",
	users_username_unique: "username",
	users_external_subject_unique: "external_subject",
} as const;

export function createPostgresUserRepository({ pool, transaction }: PostgresRepositoryDependencies): UserRepository {
	const findWhere = (database: Queryable, condition: string, values: unknown[]) =>
		queryOne<UserRecord>(database, `SELECT ${userColumns} FROM users WHERE ${condition}`, values);

	return {
		async create(user: NewUser) {
			const record: UserRecord = {
				id: user.id,
				email: user.email,
				username: user.username,
				name: user.name,
				roles: user.roles,
				preferences: user.preferences,
				defaultModel: user.defaultModel,
				memoryEnabled: user.memoryEnabled,
				passwordHash: user.passwordHash,
				externalIssuer: user.externalIssuer,
				externalSubject: user.externalSubject,
				createdAt: user.createdAt,
				updatedAt: user.createdAt,
			};
			await withConflictsMapped(
				() =>
					pool.query(
						`INSERT INTO users (id, email, username, username_normalized, name, roles, preferences, default_model,
							memory_enabled, updated_at, password_hash, external_issuer, external_subject, created_at)
						VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
						[
							record.id,
							...toUserValues(record),
							record.passwordHash,
							record.externalIssuer,
							record.externalSubject,
							record.createdAt,
						],
					),
				conflictFields,
			);
			return record;
		},

		findById(id) {
			return findWhere(pool, "id = $1", [id]);
		},

		findByEmail(email) {
			// Written as lower(email) so the lookup uses the lower(email) unique index.
			return findWhere(pool, "lower(email) = $1", [email.toLowerCase()]);
		},

		findByUsername(username) {
			return findWhere(pool, "username_normalized = $1", [normalizeUsername(username)]);
		},

		findByExternalSubject(issuer, subject) {
			return findWhere(pool, "external_issuer = $1 AND external_subject = $2", [issuer, subject]);
		},

		update(id, patch, updatedAt) {
			// Read, merge and write in one transaction; FOR UPDATE keeps a concurrent patch from slipping in between.
			return withConflictsMapped(
				() =>
					transaction(async (client) => {
						const current = await findWhere(client, "id = $1 FOR UPDATE", [id]);
						if (current === undefined) return undefined;
						const next = applyPatch(current, patch, updatedAt);
						await client.query(
							`UPDATE users SET email = $1, username = $2, username_normalized = $3, name = $4, roles = $5,
								preferences = $6, default_model = $7, memory_enabled = $8, updated_at = $9
							WHERE id = $10`,
							[...toUserValues(next), id],
						);
						return next;
					}),
				conflictFields,
			);
		},
	};
}

/** `undefined` leaves a field as it is; `null` clears it. */
function applyPatch(current: UserRecord, patch: UserPatch, updatedAt: number): UserRecord {
	return {
		...current,
		name: patch.name === undefined ? current.name : patch.name,
		preferences: patch.preferences === undefined ? current.preferences : patch.preferences,
		defaultModel: patch.defaultModel === undefined ? current.defaultModel : patch.defaultModel,
		memoryEnabled: patch.memoryEnabled === undefined ? current.memoryEnabled : patch.memoryEnabled,
		email: patch.email === undefined ? current.email : patch.email,
		username: patch.username === undefined ? current.username : patch.username,
		roles: patch.roles === undefined ? current.roles : patch.roles,
		updatedAt,
	};
}

function toUserValues(user: UserRecord): unknown[] {
	return [
		user.email,
		user.username,
		user.username === null ? null : normalizeUsername(user.username),
		user.name,
		JSON.stringify(user.roles),
		JSON.stringify(user.preferences),
		user.defaultModel,
		user.memoryEnabled,
		user.updatedAt,
	];
}

/** JavaScript's Unicode-aware lower-casing, the same as the SQLite store's, so both agree on collisions. */
function normalizeUsername(username: string): string {
	return username.toLowerCase();
}
