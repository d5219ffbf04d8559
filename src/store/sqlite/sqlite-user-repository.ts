import type { NewUser, UserPatch, UserRecord, UserRepository } from "../store-port.js";
import { withConflictsMapped } from "./sqlite-conflicts.js";
import { preparedOnFirstUse, type SqliteRepositoryDependencies } from "./sqlite-repository-support.js";

interface UserRow extends Omit<UserRecord, "roles" | "preferences" | "memoryEnabled"> {
	roles: string;
	preferences: string;
	memoryEnabled: 0 | 1;
}

type UserValues = [
	email: string | null,
	username: string | null,
	usernameNormalized: string | null,
	name: string | null,
	roles: string,
	preferences: string,
	defaultModel: string | null,
	memoryEnabled: 0 | 1,
	updatedAt: number,
];

const userColumns = `id, email, username, name, roles, preferences, default_model AS defaultModel,
	memory_enabled AS memoryEnabled, password_hash AS passwordHash, external_issuer AS externalIssuer, external_subject AS externalSubject,
	created_at AS createdAt, updated_at AS updatedAt`;

const conflictFields = {
	users_email_unique: "email",
	"users.username_normalized": "username",
	"users.external_issuer": "external_subject",
} as const;

export function createSqliteUserRepository({ database, writeQueue }: SqliteRepositoryDependencies): UserRepository {
	const statements = preparedOnFirstUse(() => ({
		insert: database.prepare<[string, ...UserValues, string | null, string | null, string | null, number]>(
			`INSERT INTO users (id, email, username, username_normalized, name, roles, preferences, default_model,
				memory_enabled, updated_at, password_hash, external_issuer, external_subject, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		),
		findById: database.prepare<[string], UserRow>(`SELECT ${userColumns} FROM users WHERE id = ?`),
		// Written as lower(email) so the lookup uses the lower(email) unique index.
		findByEmail: database.prepare<[string], UserRow>(`SELECT ${userColumns} FROM users WHERE lower(email) = ?`),
		findByUsername: database.prepare<[string], UserRow>(
			`SELECT ${userColumns} FROM users WHERE username_normalized = ?`,
		),
		findByExternalSubject: database.prepare<[string, string], UserRow>(
			`SELECT ${userColumns} FROM users WHERE external_issuer = ? AND external_subject = ?`,
		),
		update: database.prepare<[...UserValues, string]>(
			`UPDATE users SET email = ?, username = ?, username_normalized = ?, name = ?, roles = ?, preferences = ?,
				default_model = ?, memory_enabled = ?, updated_at = ?
			WHERE id = ?`,
		),
	}));

	function findRecord(id: string): UserRecord | undefined {
		const row = statements().findById.get(id);
		return row === undefined ? undefined : toUserRecord(row);
	}

	return {
		create(user: NewUser) {
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
			return writeQueue.run(() => {
				withConflictsMapped(
					() =>
						statements().insert.run(
							record.id,
							...toUserValues(record),
							record.passwordHash,
							record.externalIssuer,
							record.externalSubject,
							record.createdAt,
						),
					conflictFields,
				);
				return record;
			});
		},

		async findById(id) {
			return findRecord(id);
		},

		async findByEmail(email) {
			const row = statements().findByEmail.get(email.toLowerCase());
			return row === undefined ? undefined : toUserRecord(row);
		},

		async findByUsername(username) {
			const row = statements().findByUsername.get(normalizeUsername(username));
			return row === undefined ? undefined : toUserRecord(row);
		},

		async findByExternalSubject(issuer, subject) {
			const row = statements().findByExternalSubject.get(issuer, subject);
			return row === undefined ? undefined : toUserRecord(row);
		},

		update(id, patch, updatedAt) {
			// Read, merge and write inside one unit of work, so no other write slips in between.
			return writeQueue.run(() => {
				const current = findRecord(id);
				if (current === undefined) {
					return undefined;
				}
				const next = applyPatch(current, patch, updatedAt);
				withConflictsMapped(() => statements().update.run(...toUserValues(next), id), conflictFields);
				return next;
			});
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

function toUserValues(user: UserRecord): UserValues {
	return [
		user.email,
		user.username,
		user.username === null ? null : normalizeUsername(user.username),
		user.name,
		JSON.stringify(user.roles),
		JSON.stringify(user.preferences),
		user.defaultModel,
		user.memoryEnabled ? 1 : 0,
		user.updatedAt,
	];
}

/** JavaScript's Unicode-aware lower-casing, matching what PostgreSQL's lower() does for names. */
function normalizeUsername(username: string): string {
	return username.toLowerCase();
}

function toUserRecord(row: UserRow): UserRecord {
	return {
		...row,
		roles: JSON.parse(row.roles),
		preferences: JSON.parse(row.preferences),
		memoryEnabled: row.memoryEnabled === 1,
	};
}
