import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, apiClient, signUp } from "../support/http-client.js";
import { openLiveSocket } from "../support/live-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";

interface Accepted {
	id: string;
}

/**
 * Reads an SSE response until `count` events have arrived, then stops reading. `onConnected`
 * runs once the server's ": connected" comment arrives, i.e. once it listens for events.
 */
async function readLiveEvents(response: Response, count: number, onConnected?: () => void, timeoutMs = 10_000) {
	const reader = response.body!.getReader();
	const decoder = new TextDecoder();
	const events: Array<{ id: string; event: string; data: Record<string, unknown> }> = [];
	let buffer = "";
	const deadline = setTimeout(() => void reader.cancel(), timeoutMs);
	try {
		while (events.length < count) {
			const { value, done } = await reader.read();
			if (done) break;
			buffer += decoder.decode(value, { stream: true });
			let end = buffer.indexOf("\n\n");
			while (end >= 0) {
				const block = buffer.slice(0, end);
				buffer = buffer.slice(end + 2);
				if (block === ": connected") onConnected?.();
				const fields = Object.fromEntries(
					block
						.split("\n")
						.filter((line) => !line.startsWith(":") && line.includes(":"))
						.map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trim()]),
				);
				if (fields.event !== undefined && fields.id !== undefined && fields.data !== undefined) {
					events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
				}
				end = buffer.indexOf("\n\n");
			}
		}
	} finally {
		clearTimeout(deadline);
		await reader.cancel().catch(() => undefined);
	}
	return events;
}

// Real: Parley + SQLite + the mock model, the embedded queue's worker, and WebSocket / SSE clients
// (Node's built-in WebSocket and fetch) over real sockets.
describe("live notifications", () => {
	let parley: RunningParley;
	let client: ApiClient;
	let alice: string;
	let bob: string;

	beforeAll(async () => {
		parley = await startParley({ DEMO_KNOWLEDGE: "false", MEMORY_EXTRACTION: "rules" });
		client = apiClient(parley.url);
		alice = (await signUp(client, "alice@example.com")).accessToken;
		bob = (await signUp(client, "bob@example.com")).accessToken;
	});
	afterAll(() => parley.close());

	it("sends question-answered to the owner's socket only", async () => {
		const aliceSocket = await openLiveSocket(parley.url, { token: alice });
		const bobSocket = await openLiveSocket(parley.url, { protocols: ["bearer", bob] });
		expect(bobSocket.socket.protocol).toBe("bearer");
		try {
			const asked = await client.post<Accepted>(
				"/v1/questions",
				{ question: "Is anyone listening?" },
				{ token: alice },
			);
			const event = await aliceSocket.next(
				"question-answered",
				(message) => (message.data.question as { id: string }).id === asked.body.id,
			);
			expect(event.data.question).toMatchObject({ id: asked.body.id, status: "answered" });
			expect((event.data.question as { answer: string }).answer).toContain("Is anyone listening?");
			expect(event.id).toBeTruthy();
			await sleep(200);
			expect(bobSocket.messages.map((message) => message.type)).toEqual(["connection-ready"]);
		} finally {
			aliceSocket.close();
			bobSocket.close();
		}
	});

	it("refuses the upgrade without a valid token", async () => {
		await expect(openLiveSocket(parley.url, { token: "not-a-token" })).rejects.toThrow();
		await expect(openLiveSocket(parley.url, {})).rejects.toThrow();
		const withBadToken = await client.get("/v1/ws?token=not.a.token");
		expect(withBadToken.status).toBe(401);
		expect(withBadToken.body).toMatchObject({ code: "invalid_token" });
		const anonymous = await client.get("/v1/ws");
		expect(anonymous.status).toBe(401);
		expect(anonymous.body).toMatchObject({ code: "authentication_required" });
	});

	it("delivers prompt-message for POST /v1/prompts with websocket: true, and nothing without it", async () => {
		const socket = await openLiveSocket(parley.url, { token: bob });
		try {
			const quiet = await client.post<{ id: string }>("/v1/prompts", { prompt: "no socket please" }, { token: bob });
			expect(quiet.status).toBe(201);
			const prompted = await client.post<{ id: string; response: string }>(
				"/v1/prompts",
				{ prompt: "hola mundo", websocket: true },
				{ token: bob },
			);
			expect(prompted.status).toBe(201);
			const event = await socket.next("prompt-message");
			expect(event.data.prompt).toMatchObject({
				id: prompted.body.id,
				response: prompted.body.response,
				websocket: true,
			});
			expect(socket.messages.filter((message) => message.type === "prompt-message")).toHaveLength(1);
		} finally {
			socket.close();
		}
	});

	it("announces document-indexed to the uploader", async () => {
		const socket = await openLiveSocket(parley.url, { token: bob });
		try {
			const uploaded = await client.post<{ id: string }>(
				"/v1/documents",
				{ title: "Tide table", text: "High tide at noon." },
				{ token: bob },
			);
			expect(uploaded.status).toBe(201);
			const event = await socket.next("document-indexed");
			expect(event.data.document).toMatchObject({ id: uploaded.body.id, title: "Tide table" });
		} finally {
			socket.close();
		}
	});

	it("streams the same events as Server-Sent Events and resumes after Last-Event-ID", async () => {
		const controller = new AbortController();
		const stream = await fetch(`${parley.url}/v1/events`, {
			headers: { authorization: `Bearer ${alice}` },
			signal: controller.signal,
		});
		expect(stream.status).toBe(200);
		expect(stream.headers.get("content-type")).toContain("text/event-stream");
		let connected: () => void = () => undefined;
		const listening = new Promise<void>((resolve) => {
			connected = resolve;
		});
		const reading = readLiveEvents(stream, 1, () => connected());
		await listening;
		const first = await client.post<Accepted>("/v1/questions", { question: "first over SSE" }, { token: alice });
		const [seen] = await reading;
		controller.abort();
		expect(seen).toMatchObject({ event: "question-answered", data: { question: { id: first.body.id } } });

		// Missed while disconnected: delivered on reconnection, after the last id the client saw.
		const missed = await client.post<Accepted>("/v1/questions", { question: "second, while away" }, { token: alice });
		const deadline = Date.now() + 10_000;
		while (
			(await client.get<{ status: string }>(`/v1/questions/${missed.body.id}`, { token: alice })).body.status !==
			"answered"
		) {
			if (Date.now() > deadline) throw new Error("not answered");
			await sleep(50);
		}
		const resumed = await fetch(`${parley.url}/v1/events?token=${alice}`, { headers: { "last-event-id": seen!.id } });
		const replayed = await readLiveEvents(resumed, 1);
		expect(replayed).toEqual([
			expect.objectContaining({
				event: "question-answered",
				data: expect.objectContaining({ question: expect.objectContaining({ id: missed.body.id }) }),
			}),
		]);

		const refused = await fetch(`${parley.url}/v1/events?token=nope`);
		expect(refused.status).toBe(401);
	});
});

// Real: as above, with access tokens that live two seconds.
describe("live notifications and token expiry", () => {
	let parley: RunningParley;

	beforeAll(async () => {
		parley = await startParley({ DEMO_KNOWLEDGE: "false", AUTH_ACCESS_TOKEN_TTL_SECONDS: "2" });
	});
	afterAll(() => parley.close());

	it("closes the socket with 4001 when its token expires", async () => {
		const { accessToken } = await signUp(apiClient(parley.url), "brief@example.com");
		const socket = await openLiveSocket(parley.url, { token: accessToken });
		const closed = await socket.closed;
		expect(closed).toEqual({ code: 4001, reason: "token expired" });
	});
});
