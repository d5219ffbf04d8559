import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A local fake of an OpenAI-compatible server (POST /v1/chat/completions, GET /v1/models) that
 * replays hand-written transcripts in OpenAI's wire format from test/fixtures/openai. What it
 * does is scripted per test: steps consumed in order, then a rule (success by default).
 */

const fixtureDirectory = new URL("../fixtures/openai/", import.meta.url);
const readFixture = (name: string): string => readFileSync(new URL(name, fixtureDirectory), "utf8");

export const fixtures = {
	completion: JSON.parse(readFixture("chat-completion.json")) as Record<string, unknown>,
	streamTranscript: readFixture("chat-completion-stream.txt"),
	models: readFixture("models.json"),
	errors: {
		invalidRequest: readFixture("error-invalid-request.json"),
		modelNotFound: readFixture("error-model-not-found.json"),
		rateLimit: readFixture("error-rate-limit.json"),
		server: readFixture("error-server.json"),
		overloaded: readFixture("error-overloaded.json"),
	},
	/** The text the fixtures' assistant says, streamed or not. */
	text: "The capital of France is Paris — “la Ville Lumière”.",
	usage: { promptTokens: 24, completionTokens: 14, totalTokens: 38 },
};

const fixtureModel = "gpt-4o-mini-2024-07-18";

export type FakeStep =
	/**
	 * Answers normally. `delayMs` holds back the headers, `writeChunkBytes` splits the body into
	 * tiny writes, `eventDelayMs` paces a stream's events.
	 */
	| { type: "success"; delayMs?: number; writeChunkBytes?: number; eventDelayMs?: number }
	/** An OpenAI-style error body with this status, optionally with Retry-After / retry-after-ms. */
	| { type: "error"; status: number; retryAfterSeconds?: number; retryAfterMs?: number }
	/** Starts the answer, sends `afterEvents` SSE events (or part of the JSON), then destroys the socket. */
	| { type: "drop"; afterEvents: number }
	/** Accepts the request and never answers (until the server closes). */
	| { type: "hang" }
	/** Starts the answer, sends `afterEvents` SSE events (or part of the JSON), then goes silent. */
	| { type: "stall"; afterEvents: number }
	/** Answers exactly this, for malformed responses. */
	| { type: "raw"; status: number; contentType: string; body: string };

export type ScriptedStep = FakeStep & { times?: number };

export interface RecordedRequest {
	method: string;
	path: string;
	headers: IncomingHttpHeaders;
	/** Parsed JSON, or the raw text when it is not JSON. */
	body: unknown;
	/** The raw request body as received. */
	rawBody: string;
	/** performance.now() when the request arrived. */
	receivedAt: number;
	/** The client's port: equal ports on consecutive requests mean a reused connection. */
	remotePort: number | undefined;
}

export interface FakeUpstreamOptions {
	port?: number;
	/** Path prefix of the API, "/v1" by default. */
	basePath?: string;
	/** Benchmark mode: fixed bodies, no recording, no scripting. */
	fast?: boolean;
}

export interface FakeUpstream {
	/** e.g. http://127.0.0.1:41234/v1 */
	readonly url: string;
	readonly port: number;
	readonly requests: RecordedRequest[];
	/** Queues steps, used one request at a time (each `times` times, default 1), before the rule. */
	script(...steps: ScriptedStep[]): void;
	/** Decides requests once the script is used up; `index` counts chat completion requests from 0. */
	rule(decide: (request: RecordedRequest, index: number) => FakeStep): void;
	/** Clears the script, the rule and the recorded requests. */
	reset(): void;
	close(): Promise<void>;
}

/** A rule failing a seeded fraction of requests (mulberry32, the same sequence every run). */
export function randomFailures(options: { rate: number; seed: number; status?: number }): () => FakeStep {
	let state = options.seed >>> 0;
	const random = (): number => {
		state = (state + 0x6d2b79f5) >>> 0;
		let mixed = Math.imul(state ^ (state >>> 15), state | 1);
		mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
		return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
	};
	return () => (random() < options.rate ? { type: "error", status: options.status ?? 500 } : { type: "success" });
}

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
	const basePath = options.basePath ?? "/v1";
	const chatPath = `${basePath}/chat/completions`;
	const modelsPath = `${basePath}/models`;
	const requests: RecordedRequest[] = [];
	const queue: Array<{ step: FakeStep; remaining: number }> = [];
	const successRule = (): FakeStep => ({ type: "success" });
	let decide: (request: RecordedRequest, index: number) => FakeStep = successRule;
	let chatIndex = 0;
	const hanging = new Set<ServerResponse>();

	function nextStep(request: RecordedRequest): FakeStep {
		const index = chatIndex++;
		const head = queue[0];
		if (head !== undefined) {
			head.remaining--;
			if (head.remaining <= 0) queue.shift();
			return head.step;
		}
		return decide(request, index);
	}

	async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const receivedAt = performance.now();
		const rawBody = await readBody(request);
		const path = (request.url ?? "/").split("?")[0] ?? "/";
		let body: unknown = rawBody;
		try {
			body = rawBody.length > 0 ? JSON.parse(rawBody) : undefined;
		} catch {
			// Recorded as text.
		}
		const recorded: RecordedRequest = {
			method: request.method ?? "GET",
			path,
			headers: request.headers,
			body,
			rawBody,
			receivedAt,
			remotePort: request.socket.remotePort,
		};
		requests.push(recorded);

		if (request.method === "GET" && path === modelsPath) {
			sendJson(response, 200, fixtures.models);
			return;
		}
		if (request.method !== "POST" || path !== chatPath) {
			sendJson(response, 404, errorBody(`Unknown request URL: ${request.method} ${path}.`, "invalid_request_error"));
			return;
		}
		const chatRequest = (typeof body === "object" && body !== null ? body : {}) as ChatRequestShape;
		const step = nextStep(recorded);
		switch (step.type) {
			case "hang":
				hanging.add(response);
				response.on("close", () => hanging.delete(response));
				return;
			case "error":
				sendError(response, step);
				return;
			case "raw":
				response.writeHead(step.status, { "content-type": step.contentType });
				response.end(step.body);
				return;
			case "drop":
				await sendDropped(response, chatRequest, step.afterEvents);
				return;
			case "stall":
				sendPartially(response, chatRequest, step.afterEvents);
				hanging.add(response);
				response.on("close", () => hanging.delete(response));
				return;
			case "success":
				if (step.delayMs !== undefined) await sleep(step.delayMs);
				if (response.destroyed) return;
				if (chatRequest.stream === true) await sendStream(response, chatRequest, step);
				else await sendCompletion(response, chatRequest, step.writeChunkBytes);
				return;
		}
	}

	const fastBodies = createFastBodies();
	const server = createServer((request, response) => {
		if (options.fast) {
			answerFast(request, response, fastBodies, chatPath);
			return;
		}
		handle(request, response).catch((error: unknown) => {
			console.error("fake upstream failed", error);
			response.destroy();
		});
	});
	server.keepAliveTimeout = 30_000;
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
	});
	const port = (server.address() as AddressInfo).port;

	return {
		url: `http://127.0.0.1:${port}${basePath}`,
		port,
		requests,
		script(...steps) {
			for (const { times, ...step } of steps) queue.push({ step: step as FakeStep, remaining: times ?? 1 });
		},
		rule(rule) {
			decide = rule;
		},
		reset() {
			queue.length = 0;
			requests.length = 0;
			decide = successRule;
			chatIndex = 0;
		},
		async close() {
			for (const response of hanging) response.destroy();
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

interface ChatRequestShape {
	model?: unknown;
	stream?: unknown;
	stream_options?: { include_usage?: unknown };
}

function readBody(request: IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		request.on("data", (chunk: Buffer) => chunks.push(chunk));
		request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
		request.on("error", reject);
	});
}

function errorBody(message: string, type: string, code: string | null = null): string {
	return JSON.stringify({ error: { message, type, param: null, code } });
}

function sendJson(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
	response.writeHead(status, {
		"content-type": "application/json",
		"content-length": Buffer.byteLength(body),
		"openai-processing-ms": "112",
		"x-request-id": `req_${Math.random().toString(16).slice(2, 18)}`,
		...headers,
	});
	response.end(body);
}

function sendError(response: ServerResponse, step: Extract<FakeStep, { type: "error" }>): void {
	const headers: Record<string, string> = {};
	if (step.retryAfterSeconds !== undefined) headers["retry-after"] = String(step.retryAfterSeconds);
	if (step.retryAfterMs !== undefined) headers["retry-after-ms"] = String(step.retryAfterMs);
	sendJson(response, step.status, errorFixtureFor(step.status), headers);
}

function errorFixtureFor(status: number): string {
	switch (status) {
		case 400:
		case 422:
			return fixtures.errors.invalidRequest;
		case 404:
			return fixtures.errors.modelNotFound;
		case 429:
			return fixtures.errors.rateLimit;
		case 503:
			return fixtures.errors.overloaded;
		default:
			return fixtures.errors.server;
	}
}

function modelOf(request: ChatRequestShape): string {
	return typeof request.model === "string" ? request.model : fixtureModel;
}

function completionBody(request: ChatRequestShape): string {
	return JSON.stringify({ ...fixtures.completion, model: modelOf(request) });
}

/** The stream transcript, echoing the model, without the usage chunk unless it was asked for. */
function streamEvents(request: ChatRequestShape): string[] {
	const modelField = `"model":${JSON.stringify(modelOf(request))}`;
	const includeUsage = request.stream_options?.include_usage === true;
	const events: string[] = [];
	for (const event of fixtures.streamTranscript.split("\n\n")) {
		if (event.length === 0) continue;
		const isUsageChunk = event.includes('"choices":[]');
		if (isUsageChunk && !includeUsage) continue;
		let text = event.replaceAll(`"model":"${fixtureModel}"`, modelField);
		if (!includeUsage) text = text.replaceAll(',"usage":null', "");
		events.push(`${text}\n\n`);
	}
	return events;
}

async function writeInPieces(response: ServerResponse, payload: Buffer, pieceBytes: number | undefined): Promise<void> {
	if (pieceBytes === undefined || pieceBytes <= 0) {
		response.write(payload);
		return;
	}
	response.socket?.setNoDelay(true);
	for (let offset = 0; offset < payload.length; offset += pieceBytes) {
		if (response.destroyed) return;
		response.write(payload.subarray(offset, offset + pieceBytes));
		// A turn of the event loop per piece, so they leave as separate packets.
		await new Promise((resolve) => setImmediate(resolve));
	}
}

async function sendCompletion(response: ServerResponse, request: ChatRequestShape, pieceBytes?: number): Promise<void> {
	const body = Buffer.from(completionBody(request));
	response.writeHead(200, { "content-type": "application/json", "content-length": body.length });
	await writeInPieces(response, body, pieceBytes);
	response.end();
}

async function sendStream(
	response: ServerResponse,
	request: ChatRequestShape,
	step: Extract<FakeStep, { type: "success" }>,
): Promise<void> {
	response.writeHead(200, {
		"content-type": "text/event-stream; charset=utf-8",
		"cache-control": "no-cache",
		connection: "keep-alive",
	});
	const events = streamEvents(request);
	if (step.eventDelayMs === undefined) {
		await writeInPieces(response, Buffer.from(events.join("")), step.writeChunkBytes);
	} else {
		for (const event of events) {
			if (response.destroyed) return;
			response.write(event);
			await sleep(step.eventDelayMs);
		}
	}
	response.end();
}

/** The head and the first `afterEvents` events of a stream, or half of a JSON body. */
function sendPartially(response: ServerResponse, request: ChatRequestShape, afterEvents: number): void {
	if (request.stream === true) {
		response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
		for (const event of streamEvents(request).slice(0, afterEvents)) response.write(event);
	} else {
		const body = completionBody(request);
		response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
		response.write(body.slice(0, Math.floor(body.length / 2)));
	}
}

async function sendDropped(response: ServerResponse, request: ChatRequestShape, afterEvents: number): Promise<void> {
	sendPartially(response, request, afterEvents);
	// Let the written part reach the client before the connection goes.
	await sleep(20);
	response.socket?.destroy();
}

interface FastBodies {
	json: Buffer;
	stream: Buffer;
}

function createFastBodies(): FastBodies {
	return {
		json: Buffer.from(completionBody({ model: fixtureModel })),
		stream: Buffer.from(
			streamEvents({ model: fixtureModel, stream: true, stream_options: { include_usage: true } }).join(""),
		),
	};
}

const streamMarker = Buffer.from('"stream":true');

/** Benchmark path: no parsing beyond spotting "stream":true, fixed bodies, nothing recorded. */
function answerFast(request: IncomingMessage, response: ServerResponse, bodies: FastBodies, chatPath: string): void {
	const chunks: Buffer[] = [];
	request.on("data", (chunk: Buffer) => chunks.push(chunk));
	request.on("end", () => {
		if (request.method !== "POST" || request.url !== chatPath) {
			sendJson(response, 404, errorBody("Unknown request URL.", "invalid_request_error"));
			return;
		}
		const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
		if (body.indexOf(streamMarker) !== -1) {
			response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
			response.end(bodies.stream);
			return;
		}
		response.writeHead(200, { "content-type": "application/json", "content-length": bodies.json.length });
		response.end(bodies.json);
	});
}
