import autocannon from "autocannon";
import { type ChildServer, type Memory, readMemory, resetPeakMemory } from "./processes.js";

export interface LoadScenario {
	name: string;
	/** What the scenario measures, for the report. */
	description: string;
	url: string;
	headers: Record<string, string>;
	body: string;
	/** The server whose memory belongs to this scenario. */
	server: ChildServer;
	/** Checks one response body before the load; returns a problem, or undefined when it looks right. */
	checkBody(body: string): string | undefined;
}

export interface LoadSettings {
	connections: number;
	durationSeconds: number;
	warmUpSeconds: number;
}

export interface LoadResult {
	name: string;
	description: string;
	requestsPerSecond: number;
	latencyMs: { mean: number; p50: number; p99: number; max: number };
	requests: number;
	responses2xx: number;
	non2xx: number;
	/** Connection errors, timeouts included. */
	errors: number;
	timeouts: number;
	statusCodes: Record<string, number>;
	/** The first non-2xx answer, to tell what went wrong. */
	sampleFailure?: { status: number; body: string };
	memory?: Memory;
	/** Whether memory.peakRssMb is this scenario's own peak or the server process's since it started. */
	peakSince?: "scenario start" | "process start";
	/** Why the numbers cannot be trusted; undefined when the scenario passed its checks. */
	failure?: string;
}

/** Over this share of failed requests a throughput figure means nothing: the scenario fails. */
export const maximumFailureShare = 0.005;

export async function runLoad(scenario: LoadScenario, settings: LoadSettings): Promise<LoadResult> {
	const sample = await sendOnce(scenario);
	if (sample.problem !== undefined) return failedBeforeLoad(scenario, sample.problem);

	// The warm-up lets V8 optimise, pools fill and SQLite's cache warm; its numbers are discarded.
	await fire(scenario, settings.connections, settings.warmUpSeconds);
	const memoryReset = resetPeakMemory(scenario.server.pid);
	const { result, sampleFailure } = await fire(scenario, settings.connections, settings.durationSeconds);
	const memory = readMemory(scenario.server.pid);

	const failedRequests = result.non2xx + result.errors;
	const attempted = result["2xx"] + failedRequests;
	const exitStatus = scenario.server.exitStatus();
	let failure: string | undefined;
	if (exitStatus !== undefined) {
		failure = `${scenario.server.name} exited (${exitStatus})`;
	} else if (attempted === 0) {
		failure = "no responses at all";
	} else if (failedRequests / attempted > maximumFailureShare) {
		const share = ((failedRequests / attempted) * 100).toFixed(2);
		failure = `${share}% failed (${result.non2xx} non-2xx, ${result.errors} errors incl. ${result.timeouts} timeouts)`;
	}
	return {
		name: scenario.name,
		description: scenario.description,
		requestsPerSecond: result.requests.mean,
		latencyMs: { mean: result.latency.mean, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
		requests: attempted,
		responses2xx: result["2xx"],
		non2xx: result.non2xx,
		errors: result.errors,
		timeouts: result.timeouts,
		statusCodes: statusCounts(result),
		sampleFailure,
		memory,
		peakSince: memoryReset ? "scenario start" : "process start",
		failure,
	};
}

async function fire(
	scenario: LoadScenario,
	connections: number,
	durationSeconds: number,
): Promise<{ result: autocannon.Result; sampleFailure?: { status: number; body: string } }> {
	let sampleFailure: { status: number; body: string } | undefined;
	const result = await autocannon({
		url: scenario.url,
		connections,
		duration: durationSeconds,
		requests: [
			{
				method: "POST",
				headers: { "content-type": "application/json", ...scenario.headers },
				body: scenario.body,
				onResponse(status, body) {
					if ((status < 200 || status > 299) && sampleFailure === undefined) {
						sampleFailure = { status, body: body.slice(0, 2_000) };
					}
				},
			},
		],
	});
	return { result, sampleFailure };
}

async function sendOnce(scenario: LoadScenario): Promise<{ problem?: string }> {
	try {
		const response = await fetch(scenario.url, {
			method: "POST",
			headers: { "content-type": "application/json", ...scenario.headers },
			body: scenario.body,
		});
		const body = await response.text();
		if (!response.ok) return { problem: `sample request answered HTTP ${response.status}: ${body.slice(0, 2_000)}` };
		const problem = scenario.checkBody(body);
		return problem === undefined ? {} : { problem: `sample response: ${problem}: ${body.slice(0, 2_000)}` };
	} catch (error) {
		return { problem: `sample request failed: ${(error as Error).message}` };
	}
}

function failedBeforeLoad(scenario: LoadScenario, problem: string): LoadResult {
	return {
		name: scenario.name,
		description: scenario.description,
		requestsPerSecond: 0,
		latencyMs: { mean: 0, p50: 0, p99: 0, max: 0 },
		requests: 0,
		responses2xx: 0,
		non2xx: 0,
		errors: 0,
		timeouts: 0,
		statusCodes: {},
		failure: problem,
	};
}

function statusCounts(result: autocannon.Result): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) counts[status] = stats.count ?? 0;
	return counts;
}

/** Checks a JSON body has a field; the shape tells a real answer from a well-formed error. */
export function hasField(field: string): (body: string) => string | undefined {
	return (body) => {
		try {
			const parsed = JSON.parse(body) as Record<string, unknown>;
			return parsed[field] === undefined ? `no "${field}" field` : undefined;
		} catch {
			return "not JSON";
		}
	};
}

export interface StreamTarget {
	name: string;
	url: string;
	headers: Record<string, string>;
	body: string;
}

export interface StreamResult {
	name: string;
	requests: number;
	timeToFirstByteMs: { p50: number; p99: number };
	totalMs: { p50: number; p99: number };
	non2xx: number;
	errors: number;
	sampleFailure?: string;
	failure?: string;
}

/**
 * Time to first byte of a streamed completion, one request at a time so queueing does not hide the
 * per-request overhead. The targets alternate request by request, so drift in the machine's load
 * affects both alike.
 */
export async function measureStreams(targets: StreamTarget[], count: number, warmUp: number): Promise<StreamResult[]> {
	const samples = targets.map(() => ({ firstByte: [] as number[], total: [] as number[], non2xx: 0, errors: 0 }));
	const sampleFailures: Array<string | undefined> = targets.map(() => undefined);
	for (let index = 0; index < warmUp + count; index++) {
		for (const [position, target] of targets.entries()) {
			const timing = await timeStream(target);
			const sample = samples[position]!;
			if (timing.problem !== undefined) {
				sampleFailures[position] ??= timing.problem;
				if (timing.status === undefined) sample.errors++;
				else sample.non2xx++;
				continue;
			}
			if (index < warmUp) continue;
			sample.firstByte.push(timing.firstByteMs);
			sample.total.push(timing.totalMs);
		}
	}
	return targets.map((target, position) => {
		const sample = samples[position]!;
		const failed = sample.non2xx + sample.errors;
		const attempted = sample.firstByte.length + failed;
		const failure =
			failed / Math.max(attempted, 1) > maximumFailureShare
				? `${failed} of ${attempted} streams failed (${sample.non2xx} non-2xx, ${sample.errors} errors)`
				: undefined;
		return {
			name: target.name,
			requests: attempted,
			timeToFirstByteMs: { p50: percentile(sample.firstByte, 50), p99: percentile(sample.firstByte, 99) },
			totalMs: { p50: percentile(sample.total, 50), p99: percentile(sample.total, 99) },
			non2xx: sample.non2xx,
			errors: sample.errors,
			sampleFailure: sampleFailures[position],
			failure,
		};
	});
}

type StreamTiming =
	| { problem: undefined; firstByteMs: number; totalMs: number }
	| { problem: string; status?: number; firstByteMs?: undefined; totalMs?: undefined };

async function timeStream(target: StreamTarget): Promise<StreamTiming> {
	const startedAt = performance.now();
	try {
		const response = await fetch(target.url, {
			method: "POST",
			headers: { "content-type": "application/json", ...target.headers },
			body: target.body,
		});
		if (!response.ok || response.body === null) {
			const body = await response.text();
			return { problem: `HTTP ${response.status}: ${body.slice(0, 2_000)}`, status: response.status };
		}
		const reader = response.body.getReader();
		const first = await reader.read();
		const firstByteMs = performance.now() - startedAt;
		const decoder = new TextDecoder();
		let text = first.done ? "" : decoder.decode(first.value, { stream: true });
		for (let next = await reader.read(); !next.done; next = await reader.read()) {
			text += decoder.decode(next.value, { stream: true });
		}
		const totalMs = performance.now() - startedAt;
		// A stream that ends without [DONE] was cut short: not a result to time.
		if (!text.includes("data: [DONE]")) return { problem: `stream without [DONE]: ${text.slice(-500)}`, status: 200 };
		return { problem: undefined, firstByteMs, totalMs };
	} catch (error) {
		return { problem: (error as Error).message };
	}
}

function percentile(values: number[], rank: number): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((left, right) => left - right);
	const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((rank / 100) * sorted.length) - 1));
	return sorted[index]!;
}
