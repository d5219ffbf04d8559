import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import {
	type CryptoKey,
	calculateJwkThumbprint,
	exportJWK,
	generateKeyPair,
	importJWK,
	importPKCS8,
	type JSONWebKeySet,
	type JWK,
} from "jose";

export type SigningAlgorithm = "RS256" | "ES256";

export interface SigningKeys {
	readonly algorithm: SigningAlgorithm;
	readonly keyId: string;
	readonly privateKey: CryptoKey;
	/** Public keys served at /.well-known/jwks.json; verification uses the same set. */
	readonly jwks: JSONWebKeySet;
}

interface StoredKeyFile {
	keys: Array<{ kid: string; alg: SigningAlgorithm; createdAt: string; privateJwk: JWK }>;
}

const keyFileName = "signing-keys.json";

/**
 * The access-token signing key: given by AUTH_SIGNING_KEY (PKCS#8 PEM or a private JWK), else
 * read from DATA_DIR, else generated on first start and written there (mode 0600). Two
 * processes starting together on an empty data dir agree on one key: the file is created
 * completely under a temporary name and then hard-linked into place, which fails if the file
 * exists, so the loser reads the winner's complete file.
 */
export async function loadSigningKeys(options: {
	algorithm: SigningAlgorithm;
	configuredKey?: string | undefined;
	dataDirectory: string;
}): Promise<SigningKeys> {
	if (options.configuredKey) return fromConfiguredKey(options.configuredKey, options.algorithm);
	const file = path.join(options.dataDirectory, "keys", keyFileName);
	const stored = (await readKeyFile(file)) ?? (await createKeyFile(file, options.algorithm));
	const newest = stored.keys.at(-1);
	if (!newest) throw new Error(`${file} holds no keys`);
	const publicKeys = await Promise.all(stored.keys.map((entry) => toPublicJwk(entry.privateJwk, entry.kid, entry.alg)));
	return {
		algorithm: newest.alg,
		keyId: newest.kid,
		privateKey: (await importJWK(newest.privateJwk, newest.alg)) as CryptoKey,
		jwks: { keys: publicKeys },
	};
}

async function fromConfiguredKey(text: string, algorithm: SigningAlgorithm): Promise<SigningKeys> {
	const trimmed = text.trim();
	const privateJwk: JWK = trimmed.startsWith("{")
		? (JSON.parse(trimmed) as JWK)
		: await exportJWK(await importPKCS8(trimmed.replaceAll("\\n", "\n"), algorithm, { extractable: true }));
	const alg = (privateJwk.alg as SigningAlgorithm | undefined) ?? algorithm;
	const kid = privateJwk.kid ?? (await calculateJwkThumbprint(privateJwk));
	return {
		algorithm: alg,
		keyId: kid,
		privateKey: (await importJWK(privateJwk, alg)) as CryptoKey,
		jwks: { keys: [await toPublicJwk(privateJwk, kid, alg)] },
	};
}

async function toPublicJwk(privateJwk: JWK, kid: string, alg: SigningAlgorithm): Promise<JWK> {
	// Keep only the public members; d, p, q, dp, dq, qi must never reach the JWKS.
	const { kty, n, e, crv, x, y } = privateJwk;
	const publicJwk: JWK = { kty, kid, alg, use: "sig" };
	if (kty === "RSA") Object.assign(publicJwk, { n, e });
	else Object.assign(publicJwk, { crv, x, y });
	return publicJwk;
}

async function readKeyFile(file: string): Promise<StoredKeyFile | undefined> {
	try {
		return JSON.parse(await readFile(file, "utf8")) as StoredKeyFile;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
		throw error;
	}
}

async function createKeyFile(file: string, algorithm: SigningAlgorithm): Promise<StoredKeyFile> {
	const { privateKey } = await generateKeyPair(algorithm, { extractable: true });
	const privateJwk = await exportJWK(privateKey);
	const kid = await calculateJwkThumbprint(privateJwk);
	const content: StoredKeyFile = {
		keys: [
			{ kid, alg: algorithm, createdAt: new Date().toISOString(), privateJwk: { ...privateJwk, kid, alg: algorithm } },
		],
	};
	await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
	const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
	await writeFile(temporary, JSON.stringify(content, null, 2), { flag: "wx", mode: 0o600 });
	try {
		await link(temporary, file);
		return content;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
		const existing = await readKeyFile(file);
		if (!existing) throw error;
		return existing;
	} finally {
		await unlink(temporary).catch(() => undefined);
	}
}
