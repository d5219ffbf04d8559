import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { openSecret, rewrapSecret, SecretUnreadableError, sealSecret } from "../../src/provider-keys/envelope.js";
import { createLocalKeyWrapper, KeyUnwrapError } from "../../src/provider-keys/key-wrapper.js";
import { decodeMasterKey, derivedKeyId, parsePreviousMasterKeys } from "../../src/provider-keys/master-key-text.js";
import { addGeneratedMasterKey, loadMasterKeys, masterKeyFile } from "../../src/provider-keys/master-keys.js";

// Real: node:crypto AES-256-GCM, real key files in a temporary directory.

const masterKey = (id: string) => ({ id, key: randomBytes(32) });
const ringOf = (current: { id: string; key: Buffer }, ...previous: Array<{ id: string; key: Buffer }>) =>
	loadMasterKeys({ configured: { masterKey: current, previousMasterKeys: previous }, dataDirectory: "/nonexistent" });
const context = { userId: "user-a", provider: "openrouter", baseUrl: null };
const secret = "sk-or-v1-0123456789abcdef0123456789abcdef";

describe("provider key envelope", () => {
	it("round-trips a secret, with a fresh data key and IV per record", async () => {
		const wrapper = createLocalKeyWrapper(await ringOf(masterKey("k1")));
		const first = await sealSecret(secret, context, wrapper);
		const second = await sealSecret(secret, context, wrapper);
		expect(first.masterKeyId).toBe("k1");
		expect(Buffer.from(first.ciphertext).toString("utf8")).not.toContain("sk-or");
		expect(first.iv.equals(second.iv)).toBe(false);
		expect(first.wrappedKey.equals(second.wrappedKey)).toBe(false);
		expect(await openSecret(first, context, wrapper)).toBe(secret);
		expect(await openSecret(second, context, wrapper)).toBe(secret);
	});

	it("refuses a record moved to another user, provider or base URL", async () => {
		const wrapper = createLocalKeyWrapper(await ringOf(masterKey("k1")));
		const sealed = await sealSecret(secret, context, wrapper);
		for (const other of [
			{ ...context, userId: "user-b" },
			{ ...context, provider: "openai" },
			{ ...context, baseUrl: "https://elsewhere.example/v1" },
		]) {
			await expect(openSecret(sealed, other, wrapper)).rejects.toBeInstanceOf(SecretUnreadableError);
		}
	});

	it("refuses tampered ciphertext, tag or wrapped key", async () => {
		const wrapper = createLocalKeyWrapper(await ringOf(masterKey("k1")));
		const sealed = await sealSecret(secret, context, wrapper);
		const flipped = (bytes: Buffer) => {
			const copy = Buffer.from(bytes);
			copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 1;
			return copy;
		};
		await expect(
			openSecret({ ...sealed, ciphertext: flipped(sealed.ciphertext) }, context, wrapper),
		).rejects.toBeInstanceOf(SecretUnreadableError);
		await expect(openSecret({ ...sealed, authTag: flipped(sealed.authTag) }, context, wrapper)).rejects.toBeInstanceOf(
			SecretUnreadableError,
		);
		await expect(
			openSecret({ ...sealed, wrappedKey: flipped(sealed.wrappedKey) }, context, wrapper),
		).rejects.toBeInstanceOf(KeyUnwrapError);
	});

	it("refuses a wrong master key under the same id, and an unknown id, with a clear error", async () => {
		const sealed = await sealSecret(secret, context, createLocalKeyWrapper(await ringOf(masterKey("k1"))));
		const impostor = createLocalKeyWrapper(await ringOf(masterKey("k1")));
		await expect(openSecret(sealed, context, impostor)).rejects.toThrow(/does not authenticate under master key k1/);
		const stranger = createLocalKeyWrapper(await ringOf(masterKey("k2")));
		await expect(openSecret(sealed, context, stranger)).rejects.toThrow(
			/no master key with id k1.*PARLEY_MASTER_KEY_PREVIOUS/,
		);
	});

	it("re-wraps under the current key with the old one as previous, leaving the secret readable", async () => {
		const old = masterKey("k1");
		const sealed = await sealSecret(secret, context, createLocalKeyWrapper(await ringOf(old)));
		const current = masterKey("k2");
		const rotated = createLocalKeyWrapper(await ringOf(current, old));
		const rewrapped = await rewrapSecret(sealed, context, rotated);
		expect(rewrapped.masterKeyId).toBe("k2");
		expect(rewrapped.ciphertext.equals(sealed.ciphertext)).toBe(true);
		// After rotation the old key is no longer needed.
		const newOnly = createLocalKeyWrapper(await ringOf(current));
		expect(await openSecret(rewrapped, context, newOnly)).toBe(secret);
		await expect(openSecret(sealed, context, newOnly)).rejects.toBeInstanceOf(KeyUnwrapError);
	});
});

describe("master keys", () => {
	it("reads base64, base64url and hex, and nothing else", () => {
		const key = randomBytes(32);
		expect(decodeMasterKey(key.toString("base64"))?.equals(key)).toBe(true);
		expect(decodeMasterKey(key.toString("base64url"))?.equals(key)).toBe(true);
		expect(decodeMasterKey(key.toString("hex"))?.equals(key)).toBe(true);
		expect(decodeMasterKey(randomBytes(16).toString("base64"))).toBeUndefined();
		expect(decodeMasterKey("not a key at all")).toBeUndefined();
		const parsed = parsePreviousMasterKeys(`old-1:${key.toString("hex")}, ${key.toString("base64")}`);
		expect(parsed.problems).toEqual([]);
		expect(parsed.keys.map((entry) => entry.id)).toEqual(["old-1", derivedKeyId(key)]);
	});

	it("stops the start on a malformed key without echoing it, and in production without a persistent one", () => {
		const bad = "this-is-not-a-valid-master-key-value";
		const error = (() => {
			try {
				loadConfig({}, { PARLEY_MASTER_KEY: bad });
			} catch (caught) {
				return caught as ConfigError;
			}
		})();
		expect(error).toBeInstanceOf(ConfigError);
		expect(error?.message).toContain("PARLEY_MASTER_KEY: must be 32 bytes");
		expect(error?.message).not.toContain(bad);
		expect(() => loadConfig({}, { PARLEY_MASTER_KEY_PREVIOUS: "x:short" })).toThrow(/PARLEY_MASTER_KEY_PREVIOUS/);
		expect(() => loadConfig({}, { PARLEY_MASTER_KEY_ID: "k1" })).toThrow(/PARLEY_MASTER_KEY_ID/);
		const production = {
			NODE_ENV: "production",
			AUTH_SIGNING_KEY: "x",
			PUBLIC_URL: "https://parley.example",
		} as const;
		expect(() => loadConfig({}, production)).toThrow(
			/PARLEY_MASTER_KEY: set it \(or PARLEY_KMS_KEY_ID\), or set DATA_DIR/,
		);
		const configured = loadConfig({}, { ...production, PARLEY_MASTER_KEY: randomBytes(32).toString("base64") });
		expect(configured.providerKeys.masterKey?.id).toMatch(/^mk-[0-9a-f]{16}$/);
		// A KMS key is a persistent master key too.
		const withKms = loadConfig({}, { ...production, PARLEY_KMS_KEY_ID: "alias/parley", AWS_REGION: "eu-west-1" });
		expect(withKms.providerKeys.kms).toMatchObject({ keyId: "alias/parley", region: "eu-west-1" });
		expect(() => loadConfig({}, { PARLEY_KMS_KEY_ID: "not a key id" })).toThrow(/PARLEY_KMS_KEY_ID: must be a KMS key/);
	});

	it("are generated into DATA_DIR on first start (0600), kept across starts, and rotated by adding one", async () => {
		const directory = await mkdtemp(path.join(tmpdir(), "parley-master-keys-"));
		try {
			const options = { configured: { masterKey: undefined, previousMasterKeys: [] }, dataDirectory: directory };
			const first = await loadMasterKeys(options);
			const again = await loadMasterKeys(options);
			expect(again.current.id).toBe(first.current.id);
			expect((await stat(masterKeyFile(directory))).mode & 0o777).toBe(0o600);
			const added = await addGeneratedMasterKey(directory);
			// A process started before the rotation still finds the new key (it reads the file again).
			expect((await first.find(added.id))?.key.equals(added.key)).toBe(true);
			const rotated = await loadMasterKeys(options);
			expect(rotated.current.id).toBe(added.id);
			expect(await rotated.find(first.current.id)).toBeDefined();
			expect(JSON.parse(await readFile(masterKeyFile(directory), "utf8")).keys).toHaveLength(2);
		} finally {
			await rm(directory, { recursive: true, force: true });
		}
	});
});
