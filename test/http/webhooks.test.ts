import { createHmac, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, type ApiResponse, apiClient, signUp } from "../support/http-client.js";
import { type RunningParley, startParley } from "../support/parley-server.js";
import { waitForQuestion } from "../support/questions.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";

// Real: Parley on 127.0.0.1 (SQLite file, embedded queue and worker, mock model), a real HTTP
// receiver on 127.0.0.1 allow-listed through WEBHOOK_ALLOWED_HOSTS, and a second Parley without
// the allow-list for the loopback refusal.

interface Delivery {
	id: string;
	event_id: string;
	event_type: string;
	status: string;
	attempts: number;
	response_status: number | null;
	error: string | null;
}

const expectProblem = (response: ApiResponse, status: number, code: string) => {
	expect(response.status, response.text).toBe(status);
	expect(response.headers.get("content-type")).toContain("application/problem+json");
	expect(response.body.code).toBe(code);
};

/** The receiver's check, as README documents it. */
function verify(secret: string, headers: Record<string, unknown>, body: string): boolean {
	const timestamp = String(headers["parley-webhook-timestamp"]);
	const expected = `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
	const received = String(headers["parley-webhook-signature"]);
	return received.length === expected.length && timingSafeEqual(Buffer.from(received), Buffer.from(expected));
}

describe("webhooks", () => {
	let receiver: WebhookReceiver;
	let parley: RunningParley;
	let client: ApiClient;
	let alice: string;
	let bob: string;

	async function register(token: string, body: Record<string, unknown>) {
		return client.post<Record<string, unknown> & { id: string; secret: string }>("/v1/webhooks", body, { token });
	}

	/** Polls the delivery log until `done` holds (deliveries are asynchronous). */
	async function deliveriesUntil(token: string, id: string, done: (deliveries: Delivery[]) => boolean) {
		const deadline = Date.now() + 15_000;
		for (;;) {
			const response = await client.get<{ data: Delivery[] }>(`/v1/webhooks/${id}/deliveries`, { token });
			expect(response.status, response.text).toBe(200);
			if (done(response.body.data)) return response.body.data;
			if (Date.now() > deadline) throw new Error(`deliveries still ${JSON.stringify(response.body.data)}`);
			await sleep(25);
		}
	}
	const finished = (deliveries: Delivery[]) =>
		deliveries.length > 0 && deliveries.every((item) => item.status !== "pending");

	beforeAll(async () => {
		receiver = await startWebhookReceiver({
			"/flaky": [500, 503, 200],
			"/rejects": [400],
			"/moved": [{ status: 302, location: "/elsewhere" }],
		});
		parley = await startParley({
			WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
			WEBHOOK_RETRY_DELAY_MS: "10",
			WEBHOOK_MAX_ATTEMPTS: "4",
			WEBHOOK_DISABLE_AFTER_FAILURES: "2",
			MEMORY_EXTRACTION: "rules",
		});
		client = apiClient(parley.url);
		alice = (await signUp(client, "alice@example.com")).accessToken;
		bob = (await signUp(client, "bob@example.com")).accessToken;
	});
	afterAll(async () => {
		await parley?.close();
		await receiver?.close();
	});

	it("shows the secret once, stores it encrypted, and signs deliveries with it", async () => {
		const created = await register(alice, { url: `${receiver.url}/signed`, description: "mine" });
		expect(created.status, created.text).toBe(201);
		expect(created.headers.get("location")).toBe(`/v1/webhooks/${created.body.id}`);
		expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
		expect(created.body).toMatchObject({ enabled: true, events: [], description: "mine" });
		const { secret, id } = created.body;

		const listed = await client.get("/v1/webhooks", { token: alice });
		expect(listed.status).toBe(200);
		expect(listed.text).not.toContain(secret);
		expect(listed.text).toContain(id);
		const single = await client.get(`/v1/webhooks/${id}`, { token: alice });
		expect(single.body).not.toHaveProperty("secret");
		const file = await readFile(path.join(parley.dataDirectory, "parley.db"));
		const wal = await readFile(path.join(parley.dataDirectory, "parley.db-wal")).catch(() => Buffer.alloc(0));
		expect(Buffer.concat([file, wal]).includes(Buffer.from(secret.slice(6)))).toBe(false);

		const ping = await client.post<{ event_id: string }>(`/v1/webhooks/${id}/test`, undefined, { token: alice });
		expect(ping.status, ping.text).toBe(202);
		const [delivery] = await deliveriesUntil(alice, id, finished);
		expect(delivery).toMatchObject({
			status: "succeeded",
			attempts: 1,
			response_status: 204,
			event_type: "webhook-test",
		});
		const [request] = receiver.on("/signed");
		expect(request).toBeDefined();
		if (!request) return;
		expect(request.headers["content-type"]).toBe("application/json");
		expect(request.headers["parley-webhook-id"]).toBe(ping.body.event_id);
		expect(request.headers["parley-webhook-event"]).toBe("webhook-test");
		expect(verify(secret, request.headers, request.body)).toBe(true);
		expect(verify(secret, request.headers, `${request.body} `)).toBe(false);
		expect(verify(`${secret}x`, request.headers, request.body)).toBe(false);
		expect(JSON.parse(request.body)).toMatchObject({
			id: ping.body.event_id,
			type: "webhook-test",
			data: { webhook_id: id },
		});
	});

	it("retries a 500 and a 503 with the same event id, then succeeds", async () => {
		const { body } = await register(alice, { url: `${receiver.url}/flaky` });
		await client.post(`/v1/webhooks/${body.id}/test`, undefined, { token: alice });
		const [delivery] = await deliveriesUntil(alice, body.id, finished);
		expect(delivery).toMatchObject({ status: "succeeded", attempts: 3, response_status: 200, error: null });
		const requests = receiver.on("/flaky");
		expect(requests).toHaveLength(3);
		expect(new Set(requests.map((request) => request.headers["parley-webhook-id"])).size).toBe(1);
		for (const request of requests) expect(verify(body.secret, request.headers, request.body)).toBe(true);
	});

	it("does not retry a 4xx nor follow a redirect, and disables a webhook after failures in a row", async () => {
		const moved = await register(alice, { url: `${receiver.url}/moved` });
		await client.post(`/v1/webhooks/${moved.body.id}/test`, undefined, { token: alice });
		const [redirected] = await deliveriesUntil(alice, moved.body.id, finished);
		expect(redirected).toMatchObject({ status: "failed", attempts: 1, response_status: 302 });
		expect(receiver.on("/elsewhere")).toHaveLength(0);

		const rejecting = await register(alice, { url: `${receiver.url}/rejects` });
		const id = rejecting.body.id;
		await client.post(`/v1/webhooks/${id}/test`, undefined, { token: alice });
		await deliveriesUntil(alice, id, (items) => items.length === 1 && finished(items));
		expect((await client.get(`/v1/webhooks/${id}`, { token: alice })).body).toMatchObject({
			enabled: true,
			consecutive_failures: 1,
		});
		await client.post(`/v1/webhooks/${id}/test`, undefined, { token: alice });
		const deliveries = await deliveriesUntil(alice, id, (items) => items.length === 2 && finished(items));
		expect(deliveries.map((item) => item.attempts)).toEqual([1, 1]);
		expect(receiver.on("/rejects")).toHaveLength(2);
		const disabled = await client.get(`/v1/webhooks/${id}`, { token: alice });
		expect(disabled.body).toMatchObject({ enabled: false, consecutive_failures: 2 });
		expect(disabled.body.disabled_reason).toContain("2 failed deliveries");

		const metrics = await client.get("/metrics");
		expect(metrics.text).toMatch(/^parley_webhook_deliveries_total\{outcome="failed"\} [3-9]$/m);
		expect(metrics.text).toMatch(/^parley_webhook_attempts_total\{result="failed"\} [3-9]$/m);
	});

	it("refuses private, loopback, link-local and metadata targets that are not allow-listed", async () => {
		for (const url of [
			"http://10.0.0.1/hook",
			"http://169.254.169.254/latest/meta-data/",
			"http://192.168.1.1/",
			"http://0.0.0.0/",
			`http://[::1]:${receiver.port}/`,
			"http://[fd00:ec2::254]/",
			"http://[::ffff:127.0.0.1]/",
			`http://localhost:${receiver.port}/`,
		]) {
			const response = await register(alice, { url });
			expectProblem(response, 422, "webhook_target_refused");
		}
		const localhost = await register(alice, { url: `http://localhost:${receiver.port}/` });
		expect(localhost.body.detail).toContain("localhost resolves to");

		const strict = await startParley({});
		try {
			const strictClient = apiClient(strict.url);
			const token = (await signUp(strictClient, "carol@example.com")).accessToken;
			const refused = await strictClient.post("/v1/webhooks", { url: `${receiver.url}/hook` }, { token });
			expectProblem(refused, 422, "webhook_target_refused");
			expect((await strictClient.get<{ data: unknown[] }>("/v1/webhooks", { token })).body.data).toEqual([]);
		} finally {
			await strict.close();
		}
	});

	it("rejects bad input with 400", async () => {
		for (const body of [
			{ url: "ftp://example.com/" },
			{ url: "not a url" },
			{ url: "https://user:pass@example.com/" },
			{ url: "https://example.com/", events: ["question-exploded"] },
			{ url: "https://example.com/", colour: "red" },
			{},
		]) {
			expectProblem(await register(alice, body), 400, "validation_failed");
		}
		expectProblem(await client.get("/v1/webhooks/x/deliveries?limit=0", { token: alice }), 400, "validation_failed");
		expectProblem(await client.get("/v1/webhooks", {}), 401, "authentication_required");
	});

	it("sends a user's events to that user's webhooks only", async () => {
		const ofAlice = await register(alice, { url: `${receiver.url}/alice`, events: ["question-answered"] });
		const ofBob = await register(bob, { url: `${receiver.url}/bob` });
		const asked = await client.post<{ id: string }>("/v1/questions", { question: "What is Parley?" }, { token: bob });
		expect(asked.status, asked.text).toBe(202);
		await waitForQuestion(client, asked.body.id, bob);
		const [delivery] = await deliveriesUntil(bob, ofBob.body.id, finished);
		expect(delivery).toMatchObject({ status: "succeeded", event_type: "question-answered" });
		const [request] = receiver.on("/bob");
		expect(request && JSON.parse(request.body)).toMatchObject({ type: "question-answered" });
		expect(JSON.stringify(request && JSON.parse(request.body))).toContain(asked.body.id);
		expect(receiver.on("/alice")).toHaveLength(0);
		expect(
			(await client.get<{ data: Delivery[] }>(`/v1/webhooks/${ofAlice.body.id}/deliveries`, { token: alice })).body
				.data,
		).toEqual([]);

		// Bob's webhook is invisible and untouchable for Alice.
		const listed = await client.get<{ data: Array<{ id: string }> }>("/v1/webhooks", { token: alice });
		expect(listed.body.data.map((item) => item.id)).not.toContain(ofBob.body.id);
		expectProblem(await client.get(`/v1/webhooks/${ofBob.body.id}`, { token: alice }), 404, "not_found");
		expectProblem(await client.get(`/v1/webhooks/${ofBob.body.id}/deliveries`, { token: alice }), 404, "not_found");
		expectProblem(
			await client.post(`/v1/webhooks/${ofBob.body.id}/test`, undefined, { token: alice }),
			404,
			"not_found",
		);
		expectProblem(await client.delete(`/v1/webhooks/${ofBob.body.id}`, { token: alice }), 404, "not_found");
		expect((await client.get(`/v1/webhooks/${ofBob.body.id}`, { token: bob })).status).toBe(200);

		expect((await client.delete(`/v1/webhooks/${ofBob.body.id}`, { token: bob })).status).toBe(204);
		expectProblem(await client.get(`/v1/webhooks/${ofBob.body.id}`, { token: bob }), 404, "not_found");
	});
});
