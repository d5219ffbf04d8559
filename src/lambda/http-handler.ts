import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import awsLambdaFastify from "@fastify/aws-lambda";
import type { Context } from "aws-lambda";
import { lambdaParts } from "./lambda-runtime.js";

/**
 * API Gateway (HTTP API payload 2.0 and REST API 1.0) in front of the same Fastify app as
 * `npm start`. @fastify/aws-lambda turns each event into an in-process request: the stage prefix
 * of REST events is dropped, base64 bodies (multipart uploads) are decoded, multi-value headers
 * and v2 cookies kept, the caller's IP (requestContext…sourceIp) becomes the request's address
 * for rate limits, and API Gateway's request id becomes X-Request-Id.
 *
 * `handler` buffers each response (any API Gateway). `streamingHandler` streams it — SSE chat
 * tokens arrive as they are made — for a function URL or API Gateway with response streaming
 * (`InvokeWithResponseStream`); it needs the Node.js Lambda runtime's `awslambda` global.
 */

/** Responses API Gateway must carry base64-encoded: the web app's binary assets. */
const binaryMimeTypes = ["application/octet-stream", "application/pdf", "font/woff2", "image/png", "image/x-icon"];

type BufferedProxy = (event: unknown, context: Context) => Promise<awsLambdaFastify.LambdaResponse>;
type StreamingProxy = (event: unknown, context: Context) => Promise<awsLambdaFastify.LambdaResponseStreamed>;

let bufferedProxy: Promise<BufferedProxy> | undefined;
let streamingProxy: Promise<StreamingProxy> | undefined;

async function buffered(): Promise<BufferedProxy> {
	const { app } = await lambdaParts();
	return awsLambdaFastify(app, { binaryMimeTypes, callbackWaitsForEmptyEventLoop: false, decorateRequest: false });
}

async function streaming(): Promise<StreamingProxy> {
	const { app } = await lambdaParts();
	return awsLambdaFastify(app, {
		binaryMimeTypes,
		callbackWaitsForEmptyEventLoop: false,
		decorateRequest: false,
		payloadAsStream: true,
	});
}

export async function handler(event: unknown, context: Context): Promise<awsLambdaFastify.LambdaResponse> {
	bufferedProxy ??= buffered().catch((error: unknown) => {
		bufferedProxy = undefined;
		throw error;
	});
	return (await bufferedProxy)(event, context);
}

/** What the Lambda Node.js runtime offers for response streaming (the `awslambda` global). */
export interface ResponseStreamingRuntime {
	streamifyResponse(
		handler: (event: unknown, responseStream: NodeJS.WritableStream, context: Context) => Promise<void>,
	): unknown;
	HttpResponseStream: {
		from(responseStream: NodeJS.WritableStream, metadata: awsLambdaFastify.LambdaResponseBase): NodeJS.WritableStream;
	};
}

/** Streams the app's response for one event into Lambda's response stream, headers first. */
export function createStreamingHandler(runtime: ResponseStreamingRuntime) {
	return async (event: unknown, responseStream: NodeJS.WritableStream, context: Context): Promise<void> => {
		streamingProxy ??= streaming().catch((error: unknown) => {
			streamingProxy = undefined;
			throw error;
		});
		const { meta, stream } = await (await streamingProxy)(event, context);
		await pipeline(stream as Readable, runtime.HttpResponseStream.from(responseStream, meta));
	};
}

// The AWS SDK puts an `awslambda` object on globalThis too (its invoke store), so the runtime is
// recognised by the function it provides, not by the name.
const lambdaGlobal = (globalThis as unknown as { awslambda?: Partial<ResponseStreamingRuntime> }).awslambda;

/** Only defined inside the Lambda runtime, which provides response streaming. */
export const streamingHandler =
	typeof lambdaGlobal?.streamifyResponse === "function" && lambdaGlobal.HttpResponseStream !== undefined
		? lambdaGlobal.streamifyResponse(createStreamingHandler(lambdaGlobal as ResponseStreamingRuntime))
		: undefined;
