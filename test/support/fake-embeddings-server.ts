import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local fake of OpenAI's POST /v1/embeddings (the wire format Ollama, vLLM and LM Studio also
 * speak): `{"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model",
 * "usage"}`. Vectors are deterministic per input text and NOT unit length, so clients must
 * normalise. Errors are scripted per request, in OpenAI's error body format.
 */

export type EmbeddingStep =
	| { type: "success" }
	| { type: "error"; status: number; retryAfterSeconds?: number }
	/** Answers with vectors of the wrong length. */
	| { type: "wrong-dimensions" };

export interface EmbeddingRequest {
	path: string;
	headers: IncomingHttpHeaders;
	body: { model?: string; input?: string[]; dimensions?: number; encoding_format?: string };
}

export interface FakeEmbeddingsServer {
	/** e.g. http://127.0.0.1:41234/v1 */
	readonly url: string;
	readonly requests: EmbeddingRequest[];
	/** Steps used one request at a time, before falling back to success. */
	script(...steps: EmbeddingStep[]): void;
	close(): Promise<void>;
}

const errorBodies: Record<number, { message: string; type: string; code: string | null }> = {
	400: { message: "This model's maximum context length is 8192 tokens.", type: "invalid_request_error", code: null },
	401: { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" },
	429: { message: "Rate limit reached for text-embedding-3-small.", type: "requests", code: "rate_limit_exceeded" },
	500: { message: "The server had an error while processing your request.", type: "server_error", code: null },
	503: { message: "The engine is currently overloaded.", type: "server_error", code: null },
};

/** A fixed pseudo-embedding: a few non-zero components derived from the text. */
export function fakeEmbedding(text: string, dimensions: number): number[] {
	const vector = new Array<number>(dimensions).fill(0);
	let hash = 2166136261;
	for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 16777619);
	for (let component = 0; component < 4; component++) {
		hash = Math.imul(hash ^ component, 16777619);
		vector[(hash >>> 0) % dimensions] = 1 + component;
	}
	return vector;
}

export async function startFakeEmbeddingsServer(options: { dimensions: number }): Promise<FakeEmbeddingsServer> {
	const requests: EmbeddingRequest[] = [];
	const steps: EmbeddingStep[] = [];
	const server = createServer((request, response) => {
		let raw = "";
		request.setEncoding("utf8");
		request.on("data", (chunk: string) => {
			raw += chunk;
		});
		request.on("end", () => {
			const body = raw === "" ? {} : (JSON.parse(raw) as EmbeddingRequest["body"]);
			requests.push({ path: request.url ?? "", headers: request.headers, body });
			if (request.method !== "POST" || request.url !== "/v1/embeddings") {
				response.writeHead(404, { "content-type": "application/json" });
				response.end(JSON.stringify({ error: { message: "not found", type: "invalid_request_error", code: null } }));
				return;
			}
			const step = steps.shift() ?? { type: "success" };
			if (step.type === "error") {
				const headers: Record<string, string> = { "content-type": "application/json" };
				if (step.retryAfterSeconds !== undefined) headers["retry-after"] = String(step.retryAfterSeconds);
				response.writeHead(step.status, headers);
				response.end(JSON.stringify({ error: { ...(errorBodies[step.status] ?? errorBodies[500]), param: null } }));
				return;
			}
			const dimensions =
				step.type === "wrong-dimensions" ? options.dimensions + 1 : (body.dimensions ?? options.dimensions);
			const inputs = body.input ?? [];
			response.writeHead(200, { "content-type": "application/json" });
			response.end(
				JSON.stringify({
					object: "list",
					data: inputs.map((text, index) => ({
						object: "embedding",
						index,
						embedding: fakeEmbedding(text, dimensions),
					})),
					model: body.model,
					usage: { prompt_tokens: inputs.length * 3, total_tokens: inputs.length * 3 },
				}),
			);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/v1`,
		requests,
		script: (...added) => {
			steps.push(...added);
		},
		close: () =>
			new Promise<void>((resolve, reject) => {
				server.closeAllConnections();
				server.close((error) => (error ? reject(error) : resolve()));
			}),
	};
}
