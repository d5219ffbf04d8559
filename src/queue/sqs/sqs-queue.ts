import {
	ChangeMessageVisibilityCommand,
	DeleteMessageCommand,
	GetQueueAttributesCommand,
	ReceiveMessageCommand,
	SendMessageCommand,
	SQSClient,
} from "@aws-sdk/client-sqs";
import type { Logger } from "pino";
import type { JobQueue, QueueSettings, QueueWorkerOptions } from "../queue-port.js";
import { deliver } from "./sqs-delivery.js";

export interface SqsQueueOptions {
	queueUrl: string;
	/** A local SQS-compatible endpoint; AWS's own when absent. */
	endpoint?: string | undefined;
	settings: QueueSettings & { concurrency: number };
	logger: Logger;
	/** For tests: a client configured elsewhere. */
	client?: SQSClient;
}

/** SQS allows at most 12 hours of invisibility. */
const maximumVisibilitySeconds = 43_200;

/**
 * The job queue on Amazon SQS. Standard queues may deliver a message twice; the question worker
 * guards its writes with a claim token, so a duplicate never answers twice. `startWorker` long-polls
 * (for `parley worker`); on AWS Lambda the SQS event source delivers instead
 * (src/lambda/sqs-worker-handler.ts), through the same `deliver`.
 */
export function createSqsQueue(options: SqsQueueOptions): JobQueue {
	const client = options.client ?? new SQSClient(options.endpoint === undefined ? {} : { endpoint: options.endpoint });
	const { queueUrl, settings, logger } = options;
	let stopping = false;
	let polling: Promise<void> | undefined;
	const running = new Set<Promise<void>>();

	async function handleMessage(
		message: { Body?: string; ReceiptHandle?: string; Attributes?: Record<string, string> },
		worker: QueueWorkerOptions,
	) {
		const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? "1");
		const result = await deliver({ body: message.Body ?? "", receiveCount }, worker, settings);
		if (result.outcome === "done") {
			await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
		} else {
			await client.send(
				new ChangeMessageVisibilityCommand({
					QueueUrl: queueUrl,
					ReceiptHandle: message.ReceiptHandle,
					VisibilityTimeout: Math.min(result.visibleAfterSeconds, maximumVisibilitySeconds),
				}),
			);
		}
	}

	async function poll(worker: QueueWorkerOptions) {
		while (!stopping) {
			const free = worker.concurrency - running.size;
			if (free <= 0) {
				await Promise.race(running);
				continue;
			}
			try {
				const { Messages = [] } = await client.send(
					new ReceiveMessageCommand({
						QueueUrl: queueUrl,
						MaxNumberOfMessages: Math.min(10, free),
						WaitTimeSeconds: 20,
						VisibilityTimeout: Math.ceil(settings.leaseMs / 1000),
						MessageSystemAttributeNames: ["ApproximateReceiveCount"],
					}),
				);
				for (const message of Messages) {
					const task = handleMessage(message, worker)
						.catch((error: unknown) => logger.error({ err: error }, "SQS job delivery failed"))
						.finally(() => running.delete(task));
					running.add(task);
				}
			} catch (error) {
				if (stopping) break;
				logger.error({ err: error }, "SQS receive failed; retrying in 1 s");
				await new Promise((resolve) => setTimeout(resolve, 1000));
			}
		}
	}

	return {
		backend: "sqs",

		async enqueue(job) {
			await client.send(
				new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ id: job.id, data: job.data }) }),
			);
		},

		startWorker(worker) {
			polling = poll(worker);
		},

		async counts() {
			const { Attributes = {} } = await client.send(
				new GetQueueAttributesCommand({
					QueueUrl: queueUrl,
					AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
				}),
			);
			return {
				waiting: Number(Attributes.ApproximateNumberOfMessages ?? 0),
				active: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
				// Dead letters are questions marked so in the store (GET /v1/admin/questions/dead-letter).
				deadLettered: 0,
			};
		},

		async close() {
			stopping = true;
			// A long poll in flight ends within its 20 s wait; the running jobs are awaited.
			await Promise.allSettled([...running]);
			if (options.client === undefined) client.destroy();
			void polling;
		},
	};
}
