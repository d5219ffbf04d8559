import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local fake of Anthropic's Messages API (POST /v1/messages), replaying hand-written responses
 * in Anthropic's wire format from test/fixtures/anthropic, streamed or not.
 */

const fixtureDirectory = new URL("../fixtures/anthropic/", import.meta.url);
const readFixture = (name: string): string => readFileSync(new URL(name, fixtureDirectory), "utf8");

export const anthropicFixtures = {
	message: readFixture("message.json"),
	stream: readFixture("message-stream.txt"),
	overloaded: readFixture("error-overloaded.json"),
	invalidRequest: readFixture("error-invalid-request.json"),
	text: "Paris is the capital of France.",
	usage: { promptTokens: 21, completionTokens: 10, totalTokens: 31 },
};

export type AnthropicStep = { type: "success" } | { type: "error"; status: 400 | 529; retryAfterSeconds?: number };

export interface FakeAnthropic {
	/** e.g. http://127.0.0.1:41234/v1, the SDK's baseURL. */
	readonly url: string;
	readonly requests: Array<{ path: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }>;
	script(...steps: AnthropicStep[]): void;
	close(): Promise<void>;
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
	const requests: FakeAnthropic["requests"] = [];
	const queue: AnthropicStep[] = [];
	const server = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on("data", (chunk: Buffer) => chunks.push(chunk));
		request.on("end", () => {
			const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
			requests.push({ path: request.url ?? "/", headers: request.headers, body });
			if (request.method !== "POST" || request.url !== "/v1/messages") {
				response.writeHead(404, { "content-type": "application/json" });
				response.end('{"type":"error","error":{"type":"not_found_error","message":"Not found"}}');
				return;
			}
			const step = queue.shift() ?? { type: "success" };
			if (step.type === "error") {
				const headers: Record<string, string> = { "content-type": "application/json", "request-id": "req_fake" };
				if (step.retryAfterSeconds !== undefined) headers["retry-after"] = String(step.retryAfterSeconds);
				response.writeHead(step.status, headers);
				response.end(step.status === 529 ? anthropicFixtures.overloaded : anthropicFixtures.invalidRequest);
				return;
			}
			const model = typeof body.model === "string" ? body.model : "claude-haiku-4-5-20251001";
			const echoModel = (text: string) =>
				text.replaceAll('"model":"claude-haiku-4-5-20251001"', `"model":${JSON.stringify(model)}`);
			if (body.stream === true) {
				response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
				response.end(echoModel(anthropicFixtures.stream));
				return;
			}
			response.writeHead(200, { "content-type": "application/json" });
			response.end(echoModel(JSON.stringify(JSON.parse(anthropicFixtures.message))));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const port = (server.address() as AddressInfo).port;
	return {
		url: `http://127.0.0.1:${port}/v1`,
		requests,
		script(...steps) {
			queue.push(...steps);
		},
		async close() {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
