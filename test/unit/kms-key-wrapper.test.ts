import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { KeyServiceUnavailableError, KeyUnwrapError } from "../../src/provider-keys/key-wrapper.js";
import { createKmsKeyWrapper, isKmsKeyArn, type KmsSettings } from "../../src/provider-keys/kms-key-wrapper.js";
import { isValidKeyId } from "../../src/provider-keys/master-key-text.js";
import { type FakeKms, startFakeKms } from "../support/fake-kms.js";

// Real: @aws-sdk/client-kms over HTTP to the local fake KMS (real AES-GCM, context checked).

describe("the KMS key wrapper", () => {
	let kms: FakeKms;
	let settings: KmsSettings;
	const erin = { userId: "user-erin", provider: "openrouter" };

	beforeAll(async () => {
		vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE");
		vi.stubEnv("AWS_SECRET_ACCESS_KEY", "fake-secret-for-tests");
		kms = await startFakeKms(["alias/parley-one", "alias/parley-two"]);
		settings = { keyId: undefined, endpoint: kms.url, region: "us-east-1", timeoutMs: 300 };
	});
	afterAll(async () => {
		vi.unstubAllEnvs();
		await kms.close();
	});

	it("wraps under the configured alias, stores the key ARN, and unwraps only with the same context", async () => {
		const [one] = kms.keys;
		const wrapper = createKmsKeyWrapper({ ...settings, keyId: "alias/parley-one" });
		expect(await wrapper.currentKeyId()).toBe(one?.arn);
		const dataKey = randomBytes(32);
		const { keyId, wrappedKey } = await wrapper.wrap(dataKey, erin);
		expect(keyId).toBe(one?.arn);
		expect(wrappedKey.includes(dataKey)).toBe(false);
		expect((await wrapper.unwrap(keyId, wrappedKey, erin)).equals(dataKey)).toBe(true);
		await expect(wrapper.unwrap(keyId, wrappedKey, { ...erin, userId: "user-frank" })).rejects.toThrow(
			/InvalidCiphertextException/,
		);
		await expect(wrapper.unwrap(keyId, wrappedKey, { ...erin, provider: "openai" })).rejects.toBeInstanceOf(
			KeyUnwrapError,
		);
	});

	it("refuses a wrapped key relabelled with another KMS key's ARN (Decrypt is pinned to the stored id)", async () => {
		const [one, two] = kms.keys;
		const wrapper = createKmsKeyWrapper({ ...settings, keyId: "alias/parley-one" });
		const { wrappedKey } = await wrapper.wrap(randomBytes(32), erin);
		await expect(wrapper.unwrap(String(two?.arn), wrappedKey, erin)).rejects.toThrow(/IncorrectKeyException/);
		expect(one?.arn).not.toBe(two?.arn);
	});

	it("turns a silent KMS into KeyServiceUnavailableError instead of waiting", async () => {
		const wrapper = createKmsKeyWrapper({ ...settings, keyId: "alias/parley-two" });
		kms.hang(true);
		try {
			await expect(wrapper.wrap(randomBytes(32), erin)).rejects.toBeInstanceOf(KeyServiceUnavailableError);
		} finally {
			kms.hang(false);
		}
		expect((await wrapper.wrap(randomBytes(32), erin)).keyId).toBe(kms.keys[1]?.arn);
	});

	it("an unknown KMS key cannot wrap (503 material), and key ARNs never look like local key ids", async () => {
		const wrapper = createKmsKeyWrapper({ ...settings, keyId: "alias/missing" });
		await expect(wrapper.wrap(randomBytes(32), erin)).rejects.toThrow(/NotFoundException/);
		const arn = String(kms.keys[0]?.arn);
		expect(isKmsKeyArn(arn)).toBe(true);
		expect(isValidKeyId(arn)).toBe(false);
		expect(isKmsKeyArn("mk-0123456789abcdef")).toBe(false);
	});
});
