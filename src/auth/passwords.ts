import { hash, verify } from "@node-rs/argon2";

/**
 * argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane) — the library's defaults,
 * spelled out so a library upgrade cannot silently weaken them. Hashing runs on libuv's pool.
 */
const argon2idOptions = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export interface PasswordHasher {
	hash(password: string): Promise<string>;
	verify(passwordHash: string, password: string): Promise<boolean>;
	/** Spends the same time as a real verification, so unknown accounts cannot be told apart by timing. */
	verifyAgainstNothing(password: string): Promise<void>;
}

export function createPasswordHasher(): PasswordHasher {
	// Hashed lazily once: a real PHC string with the same parameters costs the same to verify.
	let decoyHash: Promise<string> | undefined;
	const hashPassword = (password: string) => hash(password, argon2idOptions);
	return {
		hash: hashPassword,
		async verify(passwordHash, password) {
			try {
				return await verify(passwordHash, password);
			} catch {
				// A malformed stored hash must read as "wrong password", never as a server error.
				return false;
			}
		},
		async verifyAgainstNothing(password) {
			decoyHash ??= hashPassword("parley-decoy-password");
			await verify(await decoyHash, password).catch(() => false);
		},
	};
}
