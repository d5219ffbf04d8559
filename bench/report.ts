import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import type { LoadResult, LoadSettings, StreamResult } from "./scenarios.js";

export interface Machine {
	date: string;
	command: string;
	node: string;
	cpu: string;
	cores: number;
}

export function describeMachine(command: string): Machine {
	let cpu = "unknown";
	try {
		cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? cpu;
	} catch {
		// Not Linux: the CPU stays unknown.
	}
	return { date: new Date().toISOString(), command, node: process.version, cpu, cores: availableParallelism() };
}

export interface Aim {
	aim: string;
	measured: string;
	/** undefined when a scenario it needs did not run or failed. */
	met: boolean | undefined;
}

/** The targets Parley is held to; informational, a miss does not fail the run. */
export function evaluateAims(loads: LoadResult[]): Aim[] {
	const usable = (name: string) => loads.find((load) => load.name === name && load.failure === undefined);
	const chat = usable("chat-mock");
	const proxy = usable("proxy");
	const direct = usable("direct");
	const portkey = usable("portkey");
	const aims: Aim[] = [];
	aims.push({
		aim: "chat-mock ≥ 8,000 req/s",
		measured: chat ? `${formatRate(chat.requestsPerSecond)} req/s` : "n/a",
		met: chat ? chat.requestsPerSecond >= 8_000 : undefined,
	});
	aims.push({
		aim: "chat-mock p99 ≤ 15 ms",
		measured: chat ? `${formatMs(chat.latencyMs.p99)} ms` : "n/a",
		met: chat ? chat.latencyMs.p99 <= 15 : undefined,
	});
	const overPortkey = proxy && portkey ? proxy.requestsPerSecond / portkey.requestsPerSecond : undefined;
	aims.push({
		aim: "proxy ≥ 8× portkey (req/s)",
		measured: overPortkey === undefined ? "n/a" : `${overPortkey.toFixed(2)}×`,
		met: overPortkey === undefined ? undefined : overPortkey >= 8,
	});
	const ofDirect = proxy && direct ? proxy.requestsPerSecond / direct.requestsPerSecond : undefined;
	aims.push({
		aim: "proxy ≥ 50% of direct (req/s)",
		measured: ofDirect === undefined ? "n/a" : `${(ofDirect * 100).toFixed(1)}%`,
		met: ofDirect === undefined ? undefined : ofDirect >= 0.5,
	});
	const bare = usable("bare-proxy");
	const ofBare = proxy && bare ? proxy.requestsPerSecond / bare.requestsPerSecond : undefined;
	aims.push({
		aim: "proxy vs a bare Fastify + undici pass-through (reference, no aim)",
		measured: ofBare === undefined ? "n/a" : `${(ofBare * 100).toFixed(1)}%`,
		met: undefined,
	});
	const addedP50 = proxy && direct ? proxy.latencyMs.p50 - direct.latencyMs.p50 : undefined;
	aims.push({
		aim: "proxy p50 ≤ direct p50 + 2 ms",
		measured: addedP50 === undefined ? "n/a" : `+${formatMs(addedP50)} ms`,
		met: addedP50 === undefined ? undefined : addedP50 <= 2,
	});
	return aims;
}

export function renderMarkdown(
	machine: Machine,
	settings: LoadSettings,
	loads: LoadResult[],
	streams: StreamResult[],
	streamCount: number,
): string {
	const lines: string[] = [
		`### Parley benchmark, ${machine.date.slice(0, 10)}`,
		"",
		`\`${machine.command}\` · ${machine.date} · Node ${machine.node} · ${machine.cpu} · ${machine.cores} cores · ` +
			`autocannon on the same machine, ${settings.connections} connections, ${settings.durationSeconds} s per scenario ` +
			`after a ${settings.warmUpSeconds} s warm-up (latencies in whole ms). Compare ratios within one run, not absolute ` +
			"numbers across machines.",
	];
	if (loads.length > 0) {
		lines.push(
			"",
			"| Scenario | What | req/s | p50 ms | p99 ms | non-2xx | errors | server peak RSS MB | checks |",
			"|---|---|--:|--:|--:|--:|--:|--:|---|",
		);
		for (const load of loads) {
			const peak = load.memory === undefined ? "n/a" : load.memory.peakRssMb.toFixed(0);
			const peakNote = load.peakSince === "process start" ? " (since start)" : "";
			lines.push(
				`| ${load.name} | ${load.description} | ${formatRate(load.requestsPerSecond)} | ${formatMs(load.latencyMs.p50)} | ` +
					`${formatMs(load.latencyMs.p99)} | ${load.non2xx} | ${load.errors} | ${peak}${peakNote} | ${verdict(load.failure)} |`,
			);
		}
	}
	if (streams.length > 0) {
		lines.push(
			"",
			`Streaming \`POST /v1/chat/completions\` (\`"stream":true\`), ${streamCount} sequential requests each, alternating:`,
			"",
			"| Stream | TTFB p50 ms | TTFB p99 ms | whole stream p50 ms | non-2xx | errors | checks |",
			"|---|--:|--:|--:|--:|--:|---|",
		);
		for (const stream of streams) {
			lines.push(
				`| ${stream.name} | ${formatMs(stream.timeToFirstByteMs.p50)} | ${formatMs(stream.timeToFirstByteMs.p99)} | ` +
					`${formatMs(stream.totalMs.p50)} | ${stream.non2xx} | ${stream.errors} | ${verdict(stream.failure)} |`,
			);
		}
	}
	const aims = evaluateAims(loads);
	if (loads.length > 0) {
		lines.push("", "| Aim (informational) | Measured | Result |", "|---|--:|---|");
		for (const aim of aims) {
			const result = aim.met === undefined ? (aim.measured === "n/a" ? "n/a" : "—") : aim.met ? "pass" : "**miss**";
			lines.push(`| ${aim.aim} | ${aim.measured} | ${result} |`);
		}
	}
	return `${lines.join("\n")}\n`;
}

/** Failures in full, after the table: status counts, a sample answer and the server's stderr. */
export function renderFailures(
	loads: LoadResult[],
	streams: StreamResult[],
	stderrOf: (name: string) => string,
): string {
	const blocks: string[] = [];
	for (const load of loads) {
		if (load.failure === undefined && load.sampleFailure === undefined) continue;
		blocks.push(
			`${load.failure === undefined ? "NOTE" : "FAILED"} ${load.name}: ${load.failure ?? "some requests failed"}`,
			`  status codes: ${JSON.stringify(load.statusCodes)}`,
		);
		if (load.sampleFailure !== undefined) {
			blocks.push(`  first non-2xx (HTTP ${load.sampleFailure.status}): ${load.sampleFailure.body}`);
		}
		const stderr = stderrOf(load.name).trim();
		if (stderr.length > 0) blocks.push(`  server stderr (tail):\n${indent(stderr)}`);
	}
	for (const stream of streams) {
		if (stream.failure === undefined && stream.sampleFailure === undefined) continue;
		blocks.push(
			`${stream.failure === undefined ? "NOTE" : "FAILED"} stream ${stream.name}: ${stream.failure ?? "some streams failed"}`,
			`  first failure: ${stream.sampleFailure ?? "n/a"}`,
		);
	}
	return blocks.join("\n");
}

export function writeJson(
	directory: string,
	record: {
		machine: Machine;
		settings: LoadSettings;
		loads: LoadResult[];
		streams: StreamResult[];
		/** The tail of each server's stderr: empty when all went well. */
		serverStderr: Record<string, string>;
	},
): string {
	mkdirSync(directory, { recursive: true });
	const file = path.join(directory, `${record.machine.date.replaceAll(":", "-").replace(/\.\d+Z$/, "Z")}.json`);
	const aims = evaluateAims(record.loads);
	writeFileSync(file, `${JSON.stringify({ ...record, aims }, null, "\t")}\n`);
	return file;
}

function verdict(failure: string | undefined): string {
	return failure === undefined ? "ok" : `**FAILED**: ${failure.replaceAll("|", "\\|").slice(0, 200)}`;
}

function formatRate(value: number): string {
	return Math.round(value).toLocaleString("en-US");
}

/** autocannon's latencies are whole milliseconds; the stream timings are not. */
function formatMs(value: number): string {
	if (Number.isNaN(value)) return "n/a";
	if (Number.isInteger(value)) return String(value);
	return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function indent(text: string): string {
	return text
		.split("\n")
		.map((line) => `    ${line}`)
		.join("\n");
}
