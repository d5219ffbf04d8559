import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type FakeKms, startFakeKms } from "../support/fake-kms.js";
import { type FakeUpstream, startFakeUpstream } from "../support/fake-upstream.js";
import { type ApiResponse, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

// Real: Parley on 127.0.0.1 with its SQLite file, the real @aws-sdk/client-kms talking HTTP to a
// local fake KMS (test/support/fake-kms.ts: real AES-GCM, EncryptionContext checked), the fake
// OpenAI-compatible upstream, and `parley rotate-master-key` run as a process (tsx).

const run = promisify(execFile);
const password = "correct horse battery staple";
const keyOfErin = "sk-or-v1-kms-erin-5555555555555555555555";
const keyOfFrank = "sk-or-v1-kms-frank-666666666666666666666";
const localMasterKey = randomBytes(32).toString("base64");
const awsEnvironment = { AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE", AWS_SECRET_ACCESS_KEY: "fake-secret-for-tests" };

const expectProblem = (response: ApiResponse, status: number, code: string) => {
	expect(response.status, response.text).toBe(status);
	expect(response.headers.get("content-type")).toContain("application/problem+json");
	expect(response.body.code).toBe(code);
};

describe("provider keys wrapped by AWS KMS", () => {
	let kms: FakeKms;
	let upstream: FakeUpstream;
	let dataDirectory: string;
	const running: RunningParley[] = [];

	const kmsEnvironment = (alias: string) => ({
		PARLEY_KMS_KEY_ID: alias,
		PARLEY_KMS_ENDPOINT: kms.url,
		AWS_REGION: "us-east-1",
	});
	const start = async (environment: Record<string, string>) => {
		const parley = await startParley({
			DATA_DIR: dataDirectory,
			OPENROUTER_BASE_URL: upstream.url,
			MEMORY_EXTRACTION: "rules",
			DEMO_KNOWLEDGE: "false",
			LLM_MAX_RETRIES: "0",
			...environment,
		});
		running.push(parley);
		return parley;
	};
	/** Stops the server but keeps DATA_DIR (startParley's close() would remove it). */
	const stop = async (parley: RunningParley) => {
		running.splice(running.indexOf(parley), 1);
		await parley.app.close();
		await parley.runtime.close();
	};
	const rotate = (environment: Record<string, string>) =>
		run(process.execPath, ["--import", "tsx", "src/cli/parley.ts", "rotate-master-key"], {
			env: { ...process.env, ...awsEnvironment, DATA_DIR: dataDirectory, DEMO_KNOWLEDGE: "false", ...environment },
		}).then(
			(result) => ({ code: 0, stdout: result.stdout, stderr: result.stderr }),
			(error: { code: number; stdout: string; stderr: string }) => error,
		);
	const tokenOf = async (parley: RunningParley, email: string) =>
		(await apiClient(parley.url).post<{ access_token: string }>("/v1/auth/login", { email, password })).body
			.access_token;
	const store = async (parley: RunningParley, email: string, apiKey: string) => {
		const client = apiClient(parley.url);
		const { accessToken } = await signUp(client, email);
		const put = await client.put<{ key_id: string }>(
			"/v1/users/me/provider-keys/openrouter",
			{ api_key: apiKey },
			{ token: accessToken },
		);
		expect(put.status, put.text).toBe(200);
		return put.body.key_id;
	};
	const chatAs = async (parley: RunningParley, email: string) => {
		const token = await tokenOf(parley, email);
		const client = apiClient(parley.url);
		const chat = await client.post("/v1/chat", { prompt: "hi", model: "openrouter/x/y" }, { token });
		const keys = await client.get<{ data: Array<{ key_id: string }> }>("/v1/users/me/provider-keys", { token });
		return { chat, keyIds: keys.body.data.map((key) => key.key_id) };
	};

	beforeAll(async () => {
		// The SDK's default credential chain reads these; nothing checks them (the fake ignores signatures).
		for (const [name, value] of Object.entries(awsEnvironment)) vi.stubEnv(name, value);
		kms = await startFakeKms(["alias/parley-one", "alias/parley-two"]);
		upstream = await startFakeUpstream();
	});
	beforeEach(async () => {
		dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-kms-"));
		kms.requests.length = 0;
		kms.hang(false);
		upstream.reset();
	});
	afterEach(async () => {
		for (const parley of [...running]) await stop(parley);
		await rm(dataDirectory, { recursive: true, force: true });
	});
	afterAll(async () => {
		vi.unstubAllEnvs();
		await kms.close();
		await upstream.close();
	});

	it("wraps each data key with KMS Encrypt, bound to the user and provider, and never sends KMS the user's key", async () => {
		const [one] = kms.keys;
		const parley = await start(kmsEnvironment("alias/parley-one"));
		const keyId = await store(parley, "erin@example.com", keyOfErin);
		expect(keyId).toBe(one?.arn);

		const { chat, keyIds } = await chatAs(parley, "erin@example.com");
		expect(chat.status, chat.text).toBe(200);
		expect(keyIds).toEqual([one?.arn]);
		expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${keyOfErin}`);

		const encrypt = kms.requests.find((request) => request.operation === "Encrypt");
		const decrypt = kms.requests.find((request) => request.operation === "Decrypt");
		expect(encrypt?.contentType).toBe("application/x-amz-json-1.1");
		const database = new Database(path.join(dataDirectory, "parley.db"), { readonly: true });
		const erin = database.prepare<[], { id: string }>("SELECT id FROM users WHERE email = 'erin@example.com'").get();
		database.close();
		const context = { purpose: "parley-provider-key", user_id: erin?.id, provider: "openrouter" };
		expect(encrypt?.body).toMatchObject({ KeyId: "alias/parley-one", EncryptionContext: context });
		// Only a 32-byte data key goes to KMS, and Decrypt is pinned to the key that wrapped it.
		expect(Buffer.from(String(encrypt?.body.Plaintext), "base64")).toHaveLength(32);
		expect(decrypt?.body).toMatchObject({
			KeyId: one?.arn,
			EncryptionContext: context,
		});
		const sentToKms = JSON.stringify(kms.requests);
		expect(sentToKms).not.toContain(keyOfErin);
		expect(sentToKms).not.toContain(Buffer.from(keyOfErin).toString("base64"));

		// No local master key is generated while KMS wraps, and no file holds the user's key.
		await expect(access(path.join(dataDirectory, "keys", "master-keys.json"))).rejects.toThrow();
		const files = await readdir(dataDirectory, { recursive: true, withFileTypes: true });
		const contents = await Promise.all(
			files.filter((entry) => entry.isFile()).map((entry) => readFile(path.join(entry.parentPath, entry.name))),
		);
		expect(contents.length).toBeGreaterThanOrEqual(1);
		for (const content of contents) expect(content.includes(Buffer.from(keyOfErin))).toBe(false);
		expect(parley.logLines.join("\n")).not.toContain(keyOfErin);
	});

	it("a data key moved to another user's record fails KMS's context check: 409 provider_key_unreadable", async () => {
		const parley = await start(kmsEnvironment("alias/parley-one"));
		await store(parley, "erin@example.com", keyOfErin);
		await store(parley, "frank@example.com", keyOfFrank);
		const database = new Database(path.join(dataDirectory, "parley.db"));
		try {
			const rowOf = (email: string) =>
				database
					.prepare<[string], { user_id: string; wrapped_key: Buffer }>(
						"SELECT p.user_id, p.wrapped_key FROM provider_keys p JOIN users u ON u.id = p.user_id WHERE u.email = ?",
					)
					.get(email);
			const erin = rowOf("erin@example.com");
			const frank = rowOf("frank@example.com");
			if (erin === undefined || frank === undefined) throw new Error("the keys are not stored");
			database
				.prepare("UPDATE provider_keys SET wrapped_key = ? WHERE user_id = ?")
				.run(erin.wrapped_key, frank.user_id);
		} finally {
			database.close();
		}
		kms.requests.length = 0;
		const { chat } = await chatAs(parley, "frank@example.com");
		expectProblem(chat, 409, "provider_key_unreadable");
		expect(upstream.requests).toHaveLength(0);
		expect(kms.requests.map((request) => request.operation)).toEqual(["Decrypt"]);
		expect(parley.logLines.some((line) => line.includes("InvalidCiphertextException"))).toBe(true);
		// Erin's own record is untouched and still works.
		expect((await chatAs(parley, "erin@example.com")).chat.status).toBe(200);
	});

	it("KMS not answering gives 503 key_service_unavailable on store and on use, then recovers", async () => {
		const parley = await start({ ...kmsEnvironment("alias/parley-one"), PARLEY_KMS_TIMEOUT_MS: "300" });
		await store(parley, "erin@example.com", keyOfErin);
		kms.hang(true);
		const { chat } = await chatAs(parley, "erin@example.com");
		expectProblem(chat, 503, "key_service_unavailable");
		expect(upstream.requests).toHaveLength(0);
		const { accessToken } = await signUp(apiClient(parley.url), "frank@example.com");
		const put = await apiClient(parley.url).put(
			"/v1/users/me/provider-keys/openrouter",
			{ api_key: keyOfFrank },
			{ token: accessToken },
		);
		expectProblem(put, 503, "key_service_unavailable");
		// Nothing was half-written: Frank has no key.
		const listed = await apiClient(parley.url).get<{ data: unknown[] }>("/v1/users/me/provider-keys", {
			token: accessToken,
		});
		expect(listed.body.data).toEqual([]);
		expect(parley.logLines.some((line) => line.includes("the key service (AWS KMS) cannot be reached"))).toBe(true);

		kms.hang(false);
		expect((await chatAs(parley, "erin@example.com")).chat.status).toBe(200);
		expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${keyOfErin}`);
	});

	it("KMS refusing connections gives 503 key_service_unavailable, not a 500", async () => {
		const closed = await startFakeKms(["alias/parley-one"]);
		await closed.close();
		const parley = await start({ ...kmsEnvironment("alias/parley-one"), PARLEY_KMS_ENDPOINT: closed.url });
		const { accessToken } = await signUp(apiClient(parley.url), "erin@example.com");
		const put = await apiClient(parley.url).put(
			"/v1/users/me/provider-keys/openrouter",
			{ api_key: keyOfErin },
			{ token: accessToken },
		);
		expectProblem(put, 503, "key_service_unavailable");
	});

	it("rotates to a second KMS key with the CLI; records of the first stay readable until then", async () => {
		const [one, two] = kms.keys;
		const before = await start(kmsEnvironment("alias/parley-one"));
		await store(before, "erin@example.com", keyOfErin);
		await store(before, "frank@example.com", keyOfFrank);
		await stop(before);

		// The new key is current; the old records are still decrypted with the ARN they carry.
		const switched = await start(kmsEnvironment("alias/parley-two"));
		const { chat, keyIds } = await chatAs(switched, "erin@example.com");
		expect(chat.status, chat.text).toBe(200);
		expect(keyIds).toEqual([one?.arn]);
		await stop(switched);

		const rotated = await rotate(kmsEnvironment("alias/parley-two"));
		expect(rotated.code, rotated.stderr).toBe(0);
		expect(rotated.stdout).toContain(`current master key ${two?.arn}`);
		expect(rotated.stdout).toContain("re-wrapped 2 provider keys");
		expect((await rotate(kmsEnvironment("alias/parley-two"))).stdout).toContain("re-wrapped 0 provider keys");

		const after = await start(kmsEnvironment("alias/parley-two"));
		upstream.reset();
		for (const [email, key] of [
			["erin@example.com", keyOfErin],
			["frank@example.com", keyOfFrank],
		] as const) {
			const used = await chatAs(after, email);
			expect(used.chat.status, used.chat.text).toBe(200);
			expect(used.keyIds).toEqual([two?.arn]);
			expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${key}`);
		}
	});

	it("switches from a local master key to KMS: old records readable while the local key is configured", async () => {
		const [one] = kms.keys;
		const local = { PARLEY_MASTER_KEY: localMasterKey, PARLEY_MASTER_KEY_ID: "local-one" };
		const before = await start(local);
		expect(await store(before, "erin@example.com", keyOfErin)).toBe("local-one");
		await stop(before);

		// KMS alone cannot read the local record: said clearly, not a crash.
		const kmsOnly = await start(kmsEnvironment("alias/parley-one"));
		expectProblem((await chatAs(kmsOnly, "erin@example.com")).chat, 409, "provider_key_unreadable");
		await stop(kmsOnly);

		const both = await start({ ...local, ...kmsEnvironment("alias/parley-one") });
		expect((await chatAs(both, "erin@example.com")).chat.status).toBe(200);
		expect(await store(both, "frank@example.com", keyOfFrank)).toBe(one?.arn);
		await stop(both);

		const rotated = await rotate({ ...local, ...kmsEnvironment("alias/parley-one") });
		expect(rotated.code, rotated.stderr).toBe(0);
		expect(rotated.stdout).toContain("re-wrapped 1 provider key");

		// After rotation the local key is no longer needed.
		const after = await start(kmsEnvironment("alias/parley-one"));
		upstream.reset();
		const { chat, keyIds } = await chatAs(after, "erin@example.com");
		expect(chat.status, chat.text).toBe(200);
		expect(keyIds).toEqual([one?.arn]);
		expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${keyOfErin}`);
		await stop(after);

		// And back: with only the local key current, records KMS wrapped are still read through KMS.
		const back = await start({ ...local, PARLEY_KMS_ENDPOINT: kms.url, AWS_REGION: "us-east-1" });
		expect((await chatAs(back, "frank@example.com")).chat.status).toBe(200);
		expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${keyOfFrank}`);
		expect(await store(back, "gina@example.com", keyOfErin)).toBe("local-one");
	});
});
