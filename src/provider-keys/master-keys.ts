import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { decodeMasterKey, derivedKeyId, type MasterKey, masterKeyBytes } from "./master-key-text.js";

/**
 * The master keys that wrap users' provider-key data keys. From PARLEY_MASTER_KEY (plus
 * PARLEY_MASTER_KEY_PREVIOUS), else from DATA_DIR/keys/master-keys.json, generated there on first
 * start (mode 0600) the way the token signing key is (src/auth/signing-keys.ts).
 */
export interface MasterKeyRing {
	/** New records are wrapped with this key. */
	readonly current: MasterKey;
	/**
	 * The key with this id, or undefined. A ring read from DATA_DIR reads the file again before
	 * giving up: `parley rotate-master-key` may have added a key since this process started.
	 */
	find(id: string): Promise<MasterKey | undefined>;
	/** Where the keys come from, for messages: "PARLEY_MASTER_KEY" or the file's path. */
	readonly source: string;
}

interface StoredMasterKeyFile {
	/** Oldest first; the last one is current. */
	keys: Array<{ id: string; key: string; createdAt: string }>;
}

export const masterKeyFileName = "master-keys.json";

export interface MasterKeyOptions {
	configured: { masterKey: MasterKey | undefined; previousMasterKeys: readonly MasterKey[] };
	dataDirectory: string;
}

export async function loadMasterKeys(options: MasterKeyOptions): Promise<MasterKeyRing> {
	const { masterKey, previousMasterKeys } = options.configured;
	if (masterKey !== undefined) {
		const byId = new Map<string, MasterKey>(previousMasterKeys.map((key) => [key.id, key]));
		byId.set(masterKey.id, masterKey);
		return { current: masterKey, find: async (id) => byId.get(id), source: "PARLEY_MASTER_KEY" };
	}
	const file = masterKeyFile(options.dataDirectory);
	let keys = (await readKeyFile(file)) ?? (await createKeyFile(file));
	const current = keys.at(-1);
	if (current === undefined) throw new Error(`${file} holds no master keys`);
	return {
		current,
		source: file,
		async find(id) {
			const known = keys.find((key) => key.id === id) ?? previousMasterKeys.find((key) => key.id === id);
			if (known !== undefined) return known;
			keys = (await readKeyFile(file)) ?? keys;
			return keys.find((key) => key.id === id);
		},
	};
}

/**
 * The local master keys that already exist, without generating one: while AWS KMS wraps new
 * records, these only read records wrapped before the switch. Undefined when there are none.
 */
export async function loadExistingMasterKeys(options: MasterKeyOptions): Promise<MasterKeyRing | undefined> {
	const { masterKey, previousMasterKeys } = options.configured;
	if (masterKey !== undefined || (await readKeyFile(masterKeyFile(options.dataDirectory))) !== undefined) {
		return loadMasterKeys(options);
	}
	const [first] = previousMasterKeys;
	if (first === undefined) return undefined;
	const byId = new Map<string, MasterKey>(previousMasterKeys.map((key) => [key.id, key]));
	// "current" wraps nothing here (KMS does); the ring is only searched.
	return { current: first, find: async (id) => byId.get(id), source: "PARLEY_MASTER_KEY_PREVIOUS" };
}

export const masterKeyFile = (dataDirectory: string): string => path.join(dataDirectory, "keys", masterKeyFileName);

/**
 * Adds a freshly generated key to DATA_DIR's key file and makes it current (rotation of the
 * embedded default's key). Older keys stay in the file so records not yet re-wrapped stay readable.
 */
export async function addGeneratedMasterKey(dataDirectory: string): Promise<MasterKey> {
	const file = masterKeyFile(dataDirectory);
	const existing = (await readStoredFile(file))?.keys ?? [];
	const added = generatedKey();
	const content = JSON.stringify({ keys: [...existing, toStoredEntry(added)] } satisfies StoredMasterKeyFile, null, 2);
	const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
	await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
	await writeFile(temporary, content, { flag: "wx", mode: 0o600 });
	await rename(temporary, file);
	return added;
}

function generatedKey(): MasterKey {
	const key = randomBytes(masterKeyBytes);
	return { id: derivedKeyId(key), key };
}

const toStoredEntry = (key: MasterKey) => ({
	id: key.id,
	key: key.key.toString("base64"),
	createdAt: new Date().toISOString(),
});

async function readStoredFile(file: string): Promise<StoredMasterKeyFile | undefined> {
	try {
		return JSON.parse(await readFile(file, "utf8")) as StoredMasterKeyFile;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
		throw error;
	}
}

async function readKeyFile(file: string): Promise<MasterKey[] | undefined> {
	const stored = await readStoredFile(file);
	return stored?.keys.map((entry) => {
		const key = decodeMasterKey(entry.key);
		if (key === undefined) throw new Error(`${file}: master key ${entry.id} is not 32 bytes of base64`);
		return { id: entry.id, key };
	});
}

/**
 * Two processes starting together on an empty data dir agree on one key: the file is written
 * completely under a temporary name, then hard-linked into place, which fails if it exists.
 */
async function createKeyFile(file: string): Promise<MasterKey[]> {
	const keys = [generatedKey()];
	await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
	const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
	const content: StoredMasterKeyFile = { keys: keys.map(toStoredEntry) };
	await writeFile(temporary, JSON.stringify(content, null, 2), { flag: "wx", mode: 0o600 });
	try {
		await link(temporary, file);
		return keys;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
		const existing = await readKeyFile(file);
		if (!existing) throw error;
		return existing;
	} finally {
		await unlink(temporary).catch(() => undefined);
	}
}
