import {
	type NewUser,
	StoreConflictError,
	type UserPatch,
	type UserRecord,
	type UserRepository,
} from "../store-port.js";
import type { ItemOperations } from "./dynamodb-items.js";

/**
 * Users: `USER#<id>` / `PROFILE` holds the record. Each unique value (email, username
 * case-insensitively, external issuer + subject) is claimed by an item of its own,
 * `UNIQUE#<field>#<value>` / `UNIQUE`, written with attribute_not_exists: DynamoDB has no
 * unique indexes, and no transactions are used.
 *
 * Write order keeps every crash harmless: claims first, the user last, so a crash can leave a
 * claim without its user — lookups through a claim check that the user exists and still has
 * that value, and a later registration takes over such an orphaned claim.
 */

type UniqueField = "email" | "username" | "external_subject";

const profileKey = (id: string) => ({ pk: `USER#${id}`, sk: "PROFILE" });
const claimKey = (field: UniqueField, value: string) => ({ pk: `UNIQUE#${field}#${value}`, sk: "UNIQUE" });

function uniqueValues(user: Pick<UserRecord, "email" | "username" | "externalIssuer" | "externalSubject">) {
	const values: Array<[UniqueField, string]> = [];
	if (user.email !== null) values.push(["email", user.email.toLowerCase()]);
	if (user.username !== null) values.push(["username", user.username.toLowerCase()]);
	if (user.externalIssuer !== null && user.externalSubject !== null) {
		values.push(["external_subject", `${user.externalIssuer}#${user.externalSubject}`]);
	}
	return values;
}

export function createDynamoUserRepository(items: ItemOperations): UserRepository {
	const readProfile = (id: string) => items.get<{ data: UserRecord; version: number }>(profileKey(id));
	const readUser = async (id: string) => (await readProfile(id))?.data;

	/** The user holding a claim, when the claim is live (its user exists and still has the value). */
	async function holderOf(field: UniqueField, value: string): Promise<UserRecord | undefined> {
		const claim = await items.get<{ userId: string }>(claimKey(field, value));
		if (claim === undefined) return undefined;
		const user = await readUser(claim.userId);
		if (user === undefined) return undefined;
		return uniqueValues(user).some(([held, heldValue]) => held === field && heldValue === value) ? user : undefined;
	}

	async function claim(field: UniqueField, value: string, userId: string): Promise<void> {
		const written = await items.put(
			{ ...claimKey(field, value), userId },
			{ expression: "attribute_not_exists(pk) OR userId = :user", values: { ":user": userId } },
		);
		if (written) return;
		// Taken: by a live user (a conflict), or orphaned by a crash or a change (taken over).
		if ((await holderOf(field, value)) !== undefined) throw new StoreConflictError(field);
		const current = await items.get<{ userId: string }>(claimKey(field, value));
		const replaced = await items.put(
			{ ...claimKey(field, value), userId },
			current === undefined
				? { expression: "attribute_not_exists(pk)" }
				: { expression: "userId = :previous", values: { ":previous": current.userId } },
		);
		if (!replaced) throw new StoreConflictError(field);
	}

	async function release(field: UniqueField, value: string, userId: string): Promise<void> {
		await items.remove(claimKey(field, value), { expression: "userId = :user", values: { ":user": userId } });
	}

	async function claimAll(values: Array<[UniqueField, string]>, userId: string): Promise<void> {
		const claimed: Array<[UniqueField, string]> = [];
		try {
			for (const [field, value] of values) {
				await claim(field, value, userId);
				claimed.push([field, value]);
			}
		} catch (error) {
			for (const [field, value] of claimed) await release(field, value, userId);
			throw error;
		}
	}

	return {
		async create(user: NewUser) {
			const record: UserRecord = { ...user, email: user.email?.toLowerCase() ?? null, updatedAt: user.createdAt };
			const values = uniqueValues(record);
			await claimAll(values, record.id);
			const written = await items.put(
				{ ...profileKey(record.id), data: record, version: 1 },
				{ expression: "attribute_not_exists(pk)" },
			);
			if (!written) {
				for (const [field, value] of values) await release(field, value, record.id);
				throw new StoreConflictError("id");
			}
			return record;
		},

		findById: readUser,

		findByEmail: (email) => holderOf("email", email.toLowerCase()),

		findByUsername: (username) => holderOf("username", username.toLowerCase()),

		findByExternalSubject: (issuer, subject) => holderOf("external_subject", `${issuer}#${subject}`),

		async update(id, patch, updatedAt) {
			// Optimistic: re-read and retry when another update landed in between.
			for (let attempt = 0; attempt < 5; attempt += 1) {
				const profile = await readProfile(id);
				if (profile === undefined) return undefined;
				const current = profile.data;
				const next = applyPatch(current, patch, updatedAt);
				const before = new Set(uniqueValues(current).map(([field, value]) => `${field}\u0000${value}`));
				const after = uniqueValues(next);
				const added = after.filter(([field, value]) => !before.has(`${field}\u0000${value}`));
				await claimAll(added, id);
				const written = await items.put(
					{ ...profileKey(id), data: next, version: profile.version + 1 },
					{ expression: "version = :seen", values: { ":seen": profile.version } },
				);
				if (!written) {
					for (const [field, value] of added) await release(field, value, id);
					continue;
				}
				const kept = new Set(after.map(([field, value]) => `${field}\u0000${value}`));
				for (const [field, value] of uniqueValues(current)) {
					if (!kept.has(`${field}\u0000${value}`)) await release(field, value, id);
				}
				return next;
			}
			throw new Error("user update kept colliding with concurrent updates");
		},
	};
}

/** `undefined` leaves a field as it is; `null` clears it. */
function applyPatch(current: UserRecord, patch: UserPatch, updatedAt: number): UserRecord {
	const pick = <K extends keyof UserPatch>(key: K) => (patch[key] === undefined ? current[key] : patch[key]);
	return {
		...current,
		name: pick("name") as UserRecord["name"],
		preferences: pick("preferences") as UserRecord["preferences"],
		defaultModel: pick("defaultModel") as UserRecord["defaultModel"],
		memoryEnabled: pick("memoryEnabled") as UserRecord["memoryEnabled"],
		email: (pick("email") as UserRecord["email"])?.toLowerCase() ?? null,
		username: pick("username") as UserRecord["username"],
		roles: pick("roles") as UserRecord["roles"],
		updatedAt,
	};
}
