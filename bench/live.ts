/**
 * `npm run bench:live [-- --questions 300 --sockets 10000]`: the distributed mode's figures for
 * BENCHMARKS.md — questions answered per second by 1 and 2 BullMQ worker processes, notification
 * delivery latency (answer stored → WebSocket client), and the API process's memory with many
 * idle WebSockets. Real processes on this machine: Parley API and workers (tsx), Redis at
 * REDIS_URL (default 127.0.0.1:6379), SQLite in a temporary directory, the mock model.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { apiClient, signUp } from "../test/support/http-client.js";
import { type LiveMessage, openLiveSocket } from "../test/support/live-client.js";
import { deleteKeys, uniqueKeyPrefix } from "../test/support/redis.js";
import { type ServerProcess, startServerProcess, startWorkerProcess } from "../test/support/server-process.js";

const { values } = parseArgs({
	options: { questions: { type: "string", default: "300" }, sockets: { type: "string", default: "10000" } },
});
const questionCount = Number(values.questions);
const socketCount = Number(values.sockets);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const log = (message: string) => process.stderr.write(`[bench:live] ${message}\n`);

const percentile = (sorted: number[], fraction: number) =>
	sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;

async function residentMegabytes(pid: number | undefined): Promise<number> {
	const status = await readFile(`/proc/${pid}/status`, "utf8");
	const kilobytes = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
	return Math.round(kilobytes / 1024);
}

interface QuestionRun {
	workers: number;
	perSecond: number;
	latencyP50: number;
	latencyP99: number;
}

async function runQuestions(workers: number): Promise<QuestionRun> {
	const dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-bench-live-"));
	const keyPrefix = uniqueKeyPrefix("bench-live");
	const environment = {
		DATA_DIR: dataDirectory,
		REDIS_URL: redisUrl,
		REDIS_KEY_PREFIX: keyPrefix,
		QUEUE_BACKEND: "bullmq",
		RATE_LIMIT_ENABLED: "false",
		DEMO_KNOWLEDGE: "false",
		MEMORY_EXTRACTION: "off",
		PUBLIC_URL: "http://parley.bench",
	};
	const processes: ServerProcess[] = [];
	try {
		const api = await startServerProcess(environment);
		processes.push(api);
		for (let index = 0; index < workers; index++) processes.push(await startWorkerProcess(environment));
		const client = apiClient(api.url);
		const { accessToken: token } = await signUp(client, `bench-${workers}@example.com`);
		const live = await openLiveSocket(api.url, { token });
		const latencies: number[] = [];
		const answered = new Set<string>();
		live.socket.addEventListener("message", (event) => {
			const message = JSON.parse(String(event.data)) as LiveMessage;
			if (message.type !== "question-answered") return;
			const question = message.data.question as { id: string; updated_at: string };
			latencies.push(Date.now() - Date.parse(question.updated_at));
			answered.add(question.id);
		});
		const started = performance.now();
		for (let sent = 0; sent < questionCount; sent += 20) {
			const batch = Array.from({ length: Math.min(20, questionCount - sent) }, (_, index) =>
				client.post("/v1/questions", { question: `Question ${sent + index}: what is RAG?`, rag: false }, { token }),
			);
			for (const response of await Promise.all(batch)) {
				if (response.status !== 202)
					throw new Error(`POST /v1/questions answered ${response.status}: ${response.text}`);
			}
		}
		while (answered.size < questionCount) {
			if (performance.now() - started > 120_000) throw new Error(`only ${answered.size} answered in 120 s`);
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		const seconds = (performance.now() - started) / 1000;
		live.close();
		const sorted = latencies.sort((left, right) => left - right);
		return {
			workers,
			perSecond: Math.round(questionCount / seconds),
			latencyP50: percentile(sorted, 0.5),
			latencyP99: percentile(sorted, 0.99),
		};
	} finally {
		for (const process of processes.reverse()) await process.stop();
		const redis = new Redis(redisUrl);
		await deleteKeys(redis, keyPrefix);
		redis.disconnect();
		await rm(dataDirectory, { recursive: true, force: true });
	}
}

async function runIdleSockets(): Promise<{ sockets: number; before: number; after: number }> {
	const dataDirectory = await mkdtemp(path.join(tmpdir(), "parley-bench-sockets-"));
	const api = await startServerProcess({
		DATA_DIR: dataDirectory,
		RATE_LIMIT_ENABLED: "false",
		DEMO_KNOWLEDGE: "false",
	});
	const sockets: WebSocket[] = [];
	try {
		const { accessToken: token } = await signUp(apiClient(api.url), "bench-sockets@example.com");
		const before = await residentMegabytes(api.child.pid);
		const url = `${api.url.replace(/^http/, "ws")}/v1/ws?token=${encodeURIComponent(token)}`;
		for (let opened = 0; opened < socketCount; opened += 250) {
			const batch = Array.from({ length: Math.min(250, socketCount - opened) }, () => {
				const socket = new WebSocket(url);
				sockets.push(socket);
				return new Promise<void>((resolve, reject) => {
					socket.addEventListener("message", () => resolve(), { once: true });
					socket.addEventListener("error", () => reject(new Error("socket refused")), { once: true });
				});
			});
			await Promise.all(batch);
		}
		await new Promise((resolve) => setTimeout(resolve, 2000));
		const after = await residentMegabytes(api.child.pid);
		return { sockets: sockets.length, before, after };
	} finally {
		for (const socket of sockets) socket.close();
		await api.stop();
		await rm(dataDirectory, { recursive: true, force: true });
	}
}

const runs: QuestionRun[] = [];
for (const workers of [1, 2]) {
	log(`${questionCount} questions through BullMQ with ${workers} worker process(es)`);
	runs.push(await runQuestions(workers));
}
log(`${socketCount} idle WebSockets on one API process`);
const idle = await runIdleSockets();

const lines = [
	`### Live and async (npm run bench:live -- --questions ${questionCount} --sockets ${socketCount}), ${new Date().toISOString()}`,
	"",
	"| BullMQ worker processes | questions answered per s | notification latency p50 ms | p99 ms |",
	"|--:|--:|--:|--:|",
	...runs.map((run) => `| ${run.workers} | ${run.perSecond} | ${run.latencyP50} | ${run.latencyP99} |`),
	"",
	`Idle WebSockets: ${idle.sockets} connected to one API process; its RSS ${idle.before} MB before, ${idle.after} MB with them open (${Math.round(((idle.after - idle.before) * 1024) / Math.max(1, idle.sockets))} KB per socket).`,
];
process.stdout.write(`${lines.join("\n")}\n`);
process.exit(0);
