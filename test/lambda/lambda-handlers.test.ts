import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import type { Context, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signingJwkFromSeed } from "../../src/auth/signing-key-seed.js";
import { createStreamingHandler, handler as httpHandler } from "../../src/lambda/http-handler.js";
import { resetLambdaParts } from "../../src/lambda/lambda-runtime.js";
import { handler as sqsHandler } from "../../src/lambda/sqs-worker-handler.js";
import { type LocalDynamo, startLocalDynamo } from "../support/dynalite.js";
import { type FakeAws, startFakeAws } from "../support/fake-aws.js";
import { minimalPdf } from "../support/minimal-pdf.js";

/**
 * The Lambda handlers, invoked in-process with recorded API Gateway (HTTP API 2.0, REST 1.0)
 * and SQS events (test/fixtures/lambda/), over DynamoDB (dynalite) with the SQS queue and SNS
 * topic played at the HTTP level by test/support/fake-aws.ts: what the AWS SDK sends is checked,
 * none of Parley's code is stubbed.
 */

const fixtureDirectory = path.join(import.meta.dirname, "..", "fixtures", "lambda");
const topicArn = "arn:aws:sns:eu-west-1:123456789012:parley-question-events";
const signingSeed = "5e1d0c3b2a49f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605";

function fixture<T = Record<string, unknown>>(name: string, values: Record<string, string> = {}): T {
	let text = readFileSync(path.join(fixtureDirectory, name), "utf8");
	for (const [key, value] of Object.entries(values)) text = text.replaceAll(`{{${key}}}`, value);
	return JSON.parse(text) as T;
}

const context = {
	awsRequestId: "7f1c2b3a-0d4e-4f5a-9b8c-1d2e3f4a5b6c",
	functionName: "parley-api",
	callbackWaitsForEmptyEventLoop: true,
} as unknown as Context;

interface LambdaResult {
	statusCode: number;
	headers: Record<string, string>;
	body: string;
	isBase64Encoded?: boolean;
}

const invoke = async (event: unknown) => (await httpHandler(event, context)) as LambdaResult;
const json = <T>(result: LambdaResult) => JSON.parse(result.body) as T;

/** A v2 event like the recorded chat one, for another route and body. */
function v2Event(method: string, route: string, token: string, body?: unknown) {
	const event = fixture<Record<string, unknown> & { requestContext: { http: Record<string, string> } }>(
		"http-api-v2-chat.json",
		{ access_token: token },
	);
	event.rawPath = route;
	event.requestContext.http.method = method;
	event.requestContext.http.path = route;
	if (body === undefined) delete event.body;
	else event.body = JSON.stringify(body);
	return event;
}

describe("AWS Lambda handlers", () => {
	let dynamo: LocalDynamo;
	let aws: FakeAws;
	let dataDirectory: string;
	const savedEnvironment = { ...process.env };
	let accessToken = "";

	beforeAll(async () => {
		dynamo = await startLocalDynamo();
		aws = await startFakeAws();
		dataDirectory = mkdtempSync(path.join(tmpdir(), "parley-lambda-"));
		const secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley/app-AbCdEf";
		aws.putSecret(
			secretArn,
			JSON.stringify({ AUTH_SIGNING_KEY_SEED: signingSeed, PARLEY_MASTER_KEY: "c0ffee".repeat(11).slice(0, 64) }),
		);
		Object.assign(process.env, {
			DATABASE_URL: dynamo.freshDatabaseUrl("lambda"),
			DATA_DIR: dataDirectory,
			SECRETS_MANAGER_SECRET_IDS: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley/app-AbCdEf",
			AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
			DEMO_KNOWLEDGE: "false",
			MEMORY_EXTRACTION: "rules",
			DEFAULT_MODEL: "mock/parley-mock-1",
			LOG_LEVEL: "silent",
			SQS_QUEUE_URL: `${aws.url}/123456789012/parley-questions`,
			SNS_TOPIC_ARN: topicArn,
			SNS_ENDPOINT: aws.url,
			AWS_REGION: "eu-west-1",
			AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
			AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
			// A provider nobody answers at: questions sent to it fail, retryably.
			OPENAI_API_KEY: "sk-unreachable-0000000000000000",
			OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
			LLM_MAX_RETRIES: "0",
			QUESTION_MAX_ATTEMPTS: "3",
			QUESTION_RETRY_DELAY_MS: "4000",
		});
	});

	afterAll(async () => {
		await resetLambdaParts();
		for (const key of Object.keys(process.env)) if (!(key in savedEnvironment)) delete process.env[key];
		Object.assign(process.env, savedEnvironment);
		await aws?.close();
		await dynamo?.stop();
		rmSync(dataDirectory, { recursive: true, force: true });
	});

	it("registers and logs in through HTTP API (payload 2.0) events", async () => {
		const registered = await invoke(fixture("http-api-v2-register.json"));
		expect(registered.statusCode, registered.body).toBe(201);
		const login = await invoke(fixture("http-api-v2-login.json"));
		expect(login.statusCode, login.body).toBe(200);
		accessToken = json<{ access_token: string }>(login).access_token;
		// Signed with the key derived from the seed that came from Secrets Manager.
		const header = JSON.parse(Buffer.from(accessToken.split(".")[0]!, "base64url").toString()) as { alg: string };
		expect(header.alg).toBe("ES256");
		const jwks = json<{ keys: Array<{ x: string }> }>(await invoke(v2Event("GET", "/.well-known/jwks.json", "")));
		expect(jwks.keys[0]?.x).toBe(signingJwkFromSeed(signingSeed).x);
		expect(aws.requests.filter((request) => request.service === "secretsmanager")).toHaveLength(1);
	});

	it("chats, echoing API Gateway's request id, and answers bad input with a problem document", async () => {
		const chat = await invoke(fixture("http-api-v2-chat.json", { access_token: accessToken }));
		expect(chat.statusCode, chat.body).toBe(200);
		expect(json<{ response: string }>(chat).response.length).toBeGreaterThan(0);
		expect(chat.headers["x-request-id"]).toBe("CQx3TjJ2oAMEbYw=");

		const invalid = await invoke(fixture("http-api-v2-chat-invalid.json", { access_token: accessToken }));
		expect(invalid.statusCode).toBe(400);
		expect(invalid.headers["content-type"]).toContain("application/problem+json");
		expect(json<{ code: string }>(invalid).code).toBe("validation_failed");

		const anonymous = await invoke(fixture("http-api-v2-chat.json", { access_token: "not-a-token" }));
		expect(anonymous.statusCode).toBe(401);
	});

	it("serves REST API (1.0) events under a stage, with multi-value headers and query", async () => {
		const listed = await invoke(fixture("rest-v1-list-conversations.json", { access_token: accessToken }));
		expect(listed.statusCode, listed.body).toBe(200);
		expect(json<{ data: unknown[] }>(listed).data).toHaveLength(1);
	});

	it("accepts a base64-encoded multipart upload", async () => {
		const boundary = "----ParleyLambdaBoundary7MA4YWxk";
		const pdf = Buffer.from(
			minimalPdf({ pages: [[["The Saltmarsh lighthouse opens at nine in the morning."]]], title: "Lighthouse" }),
		);
		const multipart = Buffer.concat([
			Buffer.from(
				`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="lighthouse.pdf"\r\n` +
					"Content-Type: application/pdf\r\n\r\n",
			),
			pdf,
			Buffer.from(`\r\n--${boundary}--\r\n`),
		]);
		const uploaded = await invoke(
			fixture("http-api-v2-upload.json", { access_token: accessToken, multipart_base64: multipart.toString("base64") }),
		);
		expect(uploaded.statusCode, uploaded.body).toBe(201);
		expect(json<{ chunk_count: number }>(uploaded).chunk_count).toBeGreaterThan(0);
	});

	it("streams SSE chat through Lambda response streaming, headers first", async () => {
		let metadata: Record<string, unknown> | undefined;
		const collected: Buffer[] = [];
		const stream = createStreamingHandler({
			streamifyResponse: (handler) => handler,
			HttpResponseStream: {
				from(responseStream, meta) {
					metadata = meta as unknown as Record<string, unknown>;
					return responseStream;
				},
			},
		});
		const sink = new PassThrough();
		sink.on("data", (chunk: Buffer) => collected.push(chunk));
		await stream(fixture("http-api-v2-chat-stream.json", { access_token: accessToken }), sink, context);
		expect(metadata).toMatchObject({ statusCode: 200 });
		expect(metadata).toMatchObject({ headers: { "content-type": expect.stringContaining("text/event-stream") } });
		const text = Buffer.concat(collected).toString("utf8");
		expect(text).toContain("event: message-start");
		expect(text).toContain("event: text-delta");
		expect(text).toContain("event: message-end");
	});

	it("enqueues questions to SQS; the worker answers a batch, reports only the retryable failure, and publishes outcomes to SNS", async () => {
		const ask = async (body: Record<string, unknown>) => {
			const asked = await invoke(v2Event("POST", "/v1/questions", accessToken, body));
			expect(asked.statusCode, asked.body).toBe(202);
			const sent = aws.requests.filter((request) => request.action === "SendMessage").at(-1);
			expect(sent?.body.QueueUrl).toBe(`${aws.url}/123456789012/parley-questions`);
			return { id: json<{ id: string }>(asked).id, messageBody: String(sent?.body.MessageBody) };
		};
		const answerable = await ask({ question: "When does the Saltmarsh lighthouse open?", session_id: "lambda" });
		const flaky = await ask({ question: "Anyone there?", session_id: "lambda", model: "openai/gpt-4o-mini" });
		const doomed = await ask({ question: "Last try?", session_id: "lambda", model: "openai/gpt-4o-mini" });
		expect(JSON.parse(answerable.messageBody)).toMatchObject({ data: { questionId: answerable.id } });

		const record = (message: { messageBody: string }, messageId: string, receiveCount: number) =>
			fixture<SQSEvent>("sqs-record.json", {
				message_id: messageId,
				receipt_handle: `receipt-of-${messageId}`,
				body: message.messageBody.replaceAll('"', '\\"'),
				receive_count: String(receiveCount),
				md5: createHash("md5").update(message.messageBody).digest("hex"),
			}).Records[0]!;
		const event: SQSEvent = {
			Records: [record(answerable, "m-answerable", 1), record(flaky, "m-flaky", 1), record(doomed, "m-doomed", 3)],
		};
		const result = await sqsHandler(event);
		expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-flaky" }]);

		const status = async (id: string) =>
			json<{ status: string; dead_lettered: boolean }>(
				await invoke(v2Event("GET", `/v1/questions/${id}`, accessToken)),
			);
		expect(await status(answerable.id)).toMatchObject({ status: "answered" });
		expect(await status(flaky.id)).toMatchObject({ status: "pending" });
		expect((await status(doomed.id)).status).toBe("failed");

		// The retry waits out its backoff (4 s after the first attempt) instead of the whole visibility timeout.
		const delayed = aws.requests.filter((request) => request.action === "ChangeMessageVisibility");
		expect(delayed.map((request) => request.body)).toEqual([
			expect.objectContaining({ ReceiptHandle: "receipt-of-m-flaky", VisibilityTimeout: 4 }),
		]);
		const published = aws.requests.filter((request) => request.service === "sns");
		expect(published.map((request) => request.body["MessageAttributes.entry.1.Value.StringValue"])).toEqual([
			"question-answered",
			"question-failed",
		]);
		for (const request of published) {
			expect(request.body).toMatchObject({ Action: "Publish", TopicArn: topicArn });
			expect(JSON.stringify(request.body)).not.toContain("sk-unreachable");
		}
	});
});
