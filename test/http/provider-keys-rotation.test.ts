import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../support/fake-upstream.js";
import { apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

// Real: `parley rotate-master-key` run as a process (tsx) on the SQLite file a real Parley wrote,
// then a real Parley started on it again, calling the fake upstream with the users' keys.

const run = promisify(execFile);
const firstKey = randomBytes(32).toString("base64");
const secondKey = randomBytes(32).toString("hex");
const userKey = "sk-or-v1-rotation-4444444444444444444444";

describe("master key rotation", () => {
	let upstream: FakeUpstream;
	let dataDirectory: string;
	const running: RunningParley[] = [];

	const start = async (environment: Record<string, string>) => {
		const parley = await startParley({
			DATA_DIR: dataDirectory,
			OPENROUTER_BASE_URL: upstream.url,
			MEMORY_EXTRACTION: "rules",
			DEMO_KNOWLEDGE: "false",
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
			env: { ...process.env, DATA_DIR: dataDirectory, DEMO_KNOWLEDGE: "false", ...environment },
		}).then(
			(result) => ({ code: 0, stdout: result.stdout, stderr: result.stderr }),
			(error: { code: number; stdout: string; stderr: string }) => error,
		);
	const chatWith = async (parley: RunningParley, email: string) => {
		const client = apiClient(parley.url);
		const login = await client.post<{ access_token: string }>("/v1/auth/login", {
			email,
			password: "correct horse battery staple",
		});
		const token = login.body.access_token;
		const chat = await client.post("/v1/chat", { prompt: "hi", model: "openrouter/x/y" }, { token });
		const keys = await client.get<{ data: Array<{ key_id: string }> }>("/v1/users/me/provider-keys", { token });
		return { chat, keyIds: keys.body.data.map((key) => key.key_id) };
	};

	beforeAll(async () => {
		upstream = await startFakeUpstream();
	});
	afterEach(async () => {
		for (const parley of [...running]) await stop(parley);
		await rm(dataDirectory, { recursive: true, force: true });
	});
	afterAll(() => upstream.close());

	it("re-wraps every record under PARLEY_MASTER_KEY, after which the old key is no longer needed", async () => {
		dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-rotation-"));
		const before = await start({ PARLEY_MASTER_KEY: firstKey, PARLEY_MASTER_KEY_ID: "first" });
		const client = apiClient(before.url);
		for (const email of ["erin@example.com", "frank@example.com"]) {
			const { accessToken } = await signUp(client, email);
			await client.put("/v1/users/me/provider-keys/openrouter", { api_key: userKey }, { token: accessToken });
		}
		await stop(before);

		// Without the old key the records cannot be re-wrapped: said, and the exit status says so.
		const blind = await rotate({ PARLEY_MASTER_KEY: secondKey, PARLEY_MASTER_KEY_ID: "second" });
		expect(blind.code).toBe(1);
		expect(blind.stdout).toContain("re-wrapped 0 provider keys");
		expect(blind.stdout).toMatch(/could not re-wrap openrouter key of user .*no master key with id first/);

		const rotation = {
			PARLEY_MASTER_KEY: secondKey,
			PARLEY_MASTER_KEY_ID: "second",
			PARLEY_MASTER_KEY_PREVIOUS: `first:${firstKey}`,
		};
		const rotated = await rotate(rotation);
		expect(rotated.code, rotated.stderr).toBe(0);
		expect(rotated.stdout).toContain("current master key second");
		expect(rotated.stdout).toContain("re-wrapped 2 provider keys");
		expect((await rotate(rotation)).stdout).toContain("re-wrapped 0 provider keys");

		const after = await start({ PARLEY_MASTER_KEY: secondKey, PARLEY_MASTER_KEY_ID: "second" });
		upstream.reset();
		const { chat, keyIds } = await chatWith(after, "erin@example.com");
		expect(chat.status, chat.text).toBe(200);
		expect(keyIds).toEqual(["second"]);
		expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${userKey}`);
	});

	it("a server started with the wrong master key answers 409 provider_key_unreadable, not a crash", async () => {
		dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-rotation-"));
		const before = await start({ PARLEY_MASTER_KEY: firstKey, PARLEY_MASTER_KEY_ID: "first" });
		const { accessToken } = await signUp(apiClient(before.url), "gina@example.com");
		await apiClient(before.url).put(
			"/v1/users/me/provider-keys/openrouter",
			{ api_key: userKey },
			{ token: accessToken },
		);
		await stop(before);

		// Same id, different key: the wrapped data key does not authenticate.
		const wrong = await start({ PARLEY_MASTER_KEY: secondKey, PARLEY_MASTER_KEY_ID: "first" });
		upstream.reset();
		const { chat, keyIds } = await chatWith(wrong, "gina@example.com");
		expect(chat.status, chat.text).toBe(409);
		expect(chat.body.code).toBe("provider_key_unreadable");
		expect(keyIds).toEqual(["first"]);
		expect(upstream.requests).toHaveLength(0);
		expect((await apiClient(wrong.url).get("/v1/health")).status).toBe(200);
	});

	it("without PARLEY_MASTER_KEY, generates a new key in DATA_DIR and re-wraps under it", async () => {
		dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-rotation-"));
		const before = await start({});
		const { accessToken } = await signUp(apiClient(before.url), "hank@example.com");
		const stored = await apiClient(before.url).put<{ key_id: string }>(
			"/v1/users/me/provider-keys/openrouter",
			{ api_key: userKey },
			{ token: accessToken },
		);
		await stop(before);

		const rotated = await rotate({});
		expect(rotated.code, rotated.stderr).toBe(0);
		const generated = /generated master key (\S+)/.exec(rotated.stdout)?.[1];
		expect(generated).toMatch(/^mk-/);
		expect(generated).not.toBe(stored.body.key_id);
		expect(rotated.stdout).toContain("re-wrapped 1 provider key");

		const after = await start({});
		upstream.reset();
		const { chat, keyIds } = await chatWith(after, "hank@example.com");
		expect(chat.status, chat.text).toBe(200);
		expect(keyIds).toEqual([generated]);
		expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${userKey}`);
	});
});
