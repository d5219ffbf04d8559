import { SQSClient } from "@aws-sdk/client-sqs";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { QueueJob } from "../../src/queue/queue-port.js";
import { createSqsQueue } from "../../src/queue/sqs/sqs-queue.js";
import { type FakeAws, startFakeAws } from "../support/fake-aws.js";

/**
 * The SQS queue adapter against SQS's wire protocol (test/support/fake-aws.ts answers with
 * recorded responses): what the SDK sends for enqueue, counts and a long-polling worker that
 * deletes handled messages, delays retries and dead-letters after the last attempt.
 */
describe("SQS job queue", () => {
	let aws: FakeAws;
	let client: SQSClient;
	const queueUrl = () => `${aws.url}/123456789012/parley-questions`;
	const settings = { maxAttempts: 3, backoffMs: 2000, leaseMs: 30_000, concurrency: 2 };

	beforeAll(async () => {
		aws = await startFakeAws();
		client = new SQSClient({
			region: "eu-west-1",
			credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
		});
	});
	afterAll(async () => {
		client?.destroy();
		await aws?.close();
	});

	it("sends a job as one message and reads counts from the queue's attributes", async () => {
		const queue = createSqsQueue({ queueUrl: queueUrl(), settings, logger: pino({ level: "silent" }), client });
		await queue.enqueue({ id: "question-1", data: { questionId: "q-1" } });
		const sent = aws.requests.find((request) => request.action === "SendMessage");
		expect(sent?.headers["x-amz-target"]).toBe("AmazonSQS.SendMessage");
		expect(sent?.body).toEqual({
			QueueUrl: queueUrl(),
			MessageBody: JSON.stringify({ id: "question-1", data: { questionId: "q-1" } }),
		});
		expect(await queue.counts()).toEqual({ waiting: 7, active: 2, deadLettered: 0 });
		await queue.close();
	});

	it("long-polls: deletes handled messages, delays retries by the backoff, dead-letters the last attempt", async () => {
		const queue = createSqsQueue({ queueUrl: queueUrl(), settings, logger: pino({ level: "silent" }), client });
		const handled: QueueJob[] = [];
		const deadLettered: string[] = [];
		aws.offerMessages([
			{ body: JSON.stringify({ id: "ok", data: { questionId: "ok" } }) },
			{ body: JSON.stringify({ id: "flaky", data: { questionId: "flaky" } }), receiveCount: 2 },
			{ body: JSON.stringify({ id: "doomed", data: { questionId: "doomed" } }), receiveCount: 3 },
		]);
		queue.startWorker({
			concurrency: 4,
			handler: async (job) => {
				handled.push(job);
				if (job.id !== "ok") throw new Error("model unavailable");
			},
			onDeadLetter: async (job) => {
				deadLettered.push(job.id);
			},
		});
		for (let wait = 0; wait < 100 && aws.requests.filter(isOutcome).length < 3; wait += 1) {
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		await queue.close();
		expect(handled.map((job) => [job.id, job.attempt])).toEqual([
			["ok", 1],
			["flaky", 2],
			["doomed", 3],
		]);
		expect(deadLettered).toEqual(["doomed"]);
		const outcomes = aws.requests.filter(isOutcome).map((request) => [request.action, request.body]);
		expect(outcomes).toEqual(
			expect.arrayContaining([
				["DeleteMessage", { QueueUrl: queueUrl(), ReceiptHandle: "receipt-1" }],
				// Attempt 2 failed: the third waits 2 s × 2.
				["ChangeMessageVisibility", { QueueUrl: queueUrl(), ReceiptHandle: "receipt-2", VisibilityTimeout: 4 }],
				["DeleteMessage", { QueueUrl: queueUrl(), ReceiptHandle: "receipt-3" }],
			]),
		);
		const receive = aws.requests.find((request) => request.action === "ReceiveMessage");
		expect(receive?.body).toMatchObject({
			WaitTimeSeconds: 20,
			VisibilityTimeout: 30,
			MessageSystemAttributeNames: ["ApproximateReceiveCount"],
		});
	});
});

function isOutcome(request: { action: string }): boolean {
	return request.action === "DeleteMessage" || request.action === "ChangeMessageVisibility";
}
