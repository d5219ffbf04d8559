import { execFile, spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

const run = promisify(execFile);
const demoCollection = "parley-guide";

interface Hits {
	data: Array<{ document_id: string; title: string; heading: string | null; text: string }>;
}
interface DocumentList {
	data: Array<{ id: string; title: string; source_name: string | null; collection: string }>;
	next_cursor: string | null;
}

/** src/server.ts as its own process on `dataDirectory`, once it listens; stop() sends SIGTERM and waits. */
async function startServerProcess(dataDirectory: string): Promise<{ stop(): Promise<void> }> {
	const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
		env: { ...process.env, PORT: "0", DATA_DIR: dataDirectory, NODE_ENV: "development", LOG_LEVEL: "info" },
		stdio: ["ignore", "pipe", "pipe"],
	});
	const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
	let output = "";
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no start within 20 s: ${output}`)), 20_000);
		const collect = (chunk: Buffer) => {
			output += String(chunk);
			if (output.includes("Parley is listening")) {
				clearTimeout(timer);
				resolve();
			}
		};
		child.stdout.on("data", collect);
		child.stderr.on("data", collect);
		child.once("exit", () => {
			clearTimeout(timer);
			reject(new Error(`server exited: ${output}`));
		});
	});
	expect(output).not.toContain("demo knowledge base not added");
	return {
		async stop() {
			child.kill("SIGTERM");
			await exited;
		},
	};
}

const demoDocumentsOf = async (client: ApiClient, token: string) =>
	(await client.get<DocumentList>(`/v1/documents?collection=${demoCollection}&limit=100`, { token })).body.data;

// Real: the production composition root seeding SQLite on start; the CLI as a separate Node process.
describe("demo knowledge base", () => {
	it("answers 'Como funciona RAG?' and 'How does RAG work?' on a fresh server", async () => {
		const parley = await startParley();
		try {
			const client = apiClient(parley.url);
			const { accessToken } = await signUp(client, "newcomer@example.com");
			const portuguese = await client.get<Hits>(`/v1/search?q=${encodeURIComponent("Como funciona RAG?")}&k=3`, {
				token: accessToken,
			});
			expect(portuguese.status).toBe(200);
			expect(portuguese.body.data[0]?.title).toBe("Como funciona RAG no Parley?");
			expect(portuguese.body.data[0]?.text).toMatch(/geração aumentada por recuperação/);
			const english = await client.get<Hits>(`/v1/search?q=${encodeURIComponent("How does RAG work?")}&k=3`, {
				token: accessToken,
			});
			expect(english.body.data[0]?.title).toBe("How does RAG work in Parley?");
			const titles = (await demoDocumentsOf(client, accessToken)).map((document) => document.title);
			expect(titles).toEqual(
				expect.arrayContaining(["What is Parley?", "Citations in Parley answers", "User memory in Parley"]),
			);
		} finally {
			await parley.close();
		}
	});

	it("is added once, even when two server processes start together on one database, and never again", async () => {
		const dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-demo-"));
		const servers = await Promise.all([startServerProcess(dataDirectory), startServerProcess(dataDirectory)]);
		await Promise.all(servers.map((server) => server.stop()));

		const parley = await startParley({ DATA_DIR: dataDirectory, ADMIN_EMAILS: "operator@example.com" });
		try {
			const client = apiClient(parley.url);
			const operator = (await signUp(client, "operator@example.com")).accessToken;
			const seeded = await demoDocumentsOf(client, operator);
			expect(seeded.length).toBeGreaterThanOrEqual(6);
			expect(new Set(seeded.map((document) => document.title)).size).toBe(seeded.length);
			// An operator removes a guide; a restart must neither put it back nor add the others again.
			const removedId = seeded[0]?.id as string;
			expect((await client.delete(`/v1/documents/${removedId}`, { token: operator })).status).toBe(204);
			const restarted = await startParley({ DATA_DIR: dataDirectory });
			await restarted.app.close();
			await restarted.runtime.close();
			const after = await demoDocumentsOf(client, operator);
			expect(after).toHaveLength(seeded.length - 1);
			expect(after.map((document) => document.id)).not.toContain(removedId);
		} finally {
			await parley.close();
		}
	});

	it("is not added with DEMO_KNOWLEDGE=false", async () => {
		const parley = await startParley({ DEMO_KNOWLEDGE: "false" });
		try {
			const client = apiClient(parley.url);
			const { accessToken } = await signUp(client, "quiet@example.com");
			const collections = await client.get("/v1/collections", { token: accessToken });
			expect(collections.text).not.toContain(demoCollection);
			const hits = await client.get<Hits>(`/v1/search?q=${encodeURIComponent("Como funciona RAG?")}`, {
				token: accessToken,
			});
			expect(hits.body.data).toEqual([]);
		} finally {
			await parley.close();
		}
	});
});

describe("parley ingest", () => {
	let folder: string;
	const publicUrl = "http://parley.test";
	const cli = (dataDirectory: string, ...args: string[]) =>
		run(process.execPath, ["--import", "tsx", "src/cli/parley.ts", "ingest", ...args], {
			env: { ...process.env, DATA_DIR: dataDirectory, PUBLIC_URL: publicUrl, DEMO_KNOWLEDGE: "false" },
		}).then(
			(result) => ({ code: 0, stdout: result.stdout, stderr: result.stderr }),
			(error: { code: number; stdout: string; stderr: string }) => error,
		);

	beforeAll(async () => {
		folder = await mkdtemp(path.join(tmpdir(), "parley-ingest-files-"));
		await mkdir(path.join(folder, "nested"));
		await copyFile("test/fixtures/documents/guide.md", path.join(folder, "guide.md"));
		await copyFile("test/fixtures/documents/report.pdf", path.join(folder, "nested", "report.pdf"));
		await copyFile("test/fixtures/documents/table.csv", path.join(folder, "nested", "table.csv"));
		await writeFile(path.join(folder, "photo.png"), new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
		await writeFile(path.join(folder, "broken.json"), '{"oops": ');
		await writeFile(path.join(folder, ".hidden.md"), "# Hidden\n\nnever ingested");
	});
	afterAll(() => rm(folder, { recursive: true, force: true }));

	it("ingests a folder for a user, reports skipped and failed files, and exits non-zero on a failure", async () => {
		// startParley's close() removes the data directory.
		const dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-ingest-"));
		const result = await cli(dataDirectory, folder, "--user", "Writer@Example.com", "--collection", "notes");
		expect(result.code, result.stderr).toBe(1);
		expect(result.stdout).toMatch(/Ingested 3 of 4 files into 'notes': \d+ chunks/);
		expect(result.stdout).toMatch(/skipped\s+\S*photo\.png: unsupported file type '\.png'/);
		expect(result.stdout).toMatch(/failed\s+\S*broken\.json: document_unreadable/);
		expect(result.stdout).not.toContain("hidden");

		const again = await cli(
			dataDirectory,
			path.join(folder, "guide.md"),
			"--user",
			"writer@example.com",
			"--collection",
			"notes",
		);
		expect(again.code, again.stderr).toBe(0);

		// The same database and public URL, served: the documents are there and searchable.
		const parley: RunningParley = await startParley({ DATA_DIR: dataDirectory, PUBLIC_URL: publicUrl });
		try {
			const client = apiClient(parley.url);
			const login = await client.post<{ access_token: string }>("/v1/auth/login", { email: "writer@example.com" });
			const token = login.body.access_token;
			const listed = await client.get<DocumentList>("/v1/documents?collection=notes&limit=100", { token });
			expect(listed.body.data.map((document) => document.source_name).sort()).toEqual([
				"guide.md",
				"guide.md",
				"report.pdf",
				"table.csv",
			]);
			const hits = await client.get<Hits>(`/v1/search?q=${encodeURIComponent("Perito Moreno glacier")}&k=1`, {
				token,
			});
			expect(hits.body.data[0]?.title).toBe("Glacier survey 2026");
			const stranger = (await signUp(client, "stranger@example.com")).accessToken;
			const strangerList = await client.get("/v1/documents?limit=100", { token: stranger });
			expect(strangerList.text).not.toContain("Glacier survey");
		} finally {
			await parley.close();
		}
	});

	it("adds to a shared collection with --shared, which every user then reads", async () => {
		const directory = await mkdtemp(path.join(tmpdir(), "parley-ingest-shared-"));
		const result = await cli(directory, "test/fixtures/documents/notes.txt", "--shared", "--collection", "team-docs");
		expect(result.code, result.stderr).toBe(0);
		expect(result.stdout).toContain("Ingested 1 of 1 file into 'team-docs'");
		const parley = await startParley({ DATA_DIR: directory, PUBLIC_URL: publicUrl });
		try {
			const client = apiClient(parley.url);
			const { accessToken } = await signUp(client, "reader@example.com");
			const listed = await client.get<DocumentList>("/v1/documents?collection=team-docs", { token: accessToken });
			expect(listed.body.data.map((document) => document.source_name)).toEqual(["notes.txt"]);
		} finally {
			await parley.close();
		}
	});

	it("refuses bad usage with exit status 64", async () => {
		const directory = await mkdtemp(path.join(tmpdir(), "parley-ingest-usage-"));
		try {
			const [nothing, noOwner, shared] = await Promise.all([
				cli(directory),
				cli(directory, "test/fixtures/documents/notes.txt"),
				cli(directory, "test/fixtures/documents/notes.txt", "--shared"),
			]);
			expect(nothing.code).toBe(64);
			expect(noOwner.code).toBe(64);
			expect(noOwner.stderr).toContain("--user");
			expect(shared.code).toBe(64);
			expect(shared.stderr).toContain("--collection");
		} finally {
			await rm(directory, { recursive: true, force: true });
		}
	});
});
