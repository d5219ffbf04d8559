import { ChangeMessageVisibilityCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createQuestionWorker } from "../questions/question-worker.js";
import { deliver } from "../queue/sqs/sqs-delivery.js";
import { lambdaParts } from "./lambda-runtime.js";

/**
 * The worker Lambda: SQS delivers batches of question jobs; each is answered through the same
 * question worker as `parley worker`, and the ones that failed with attempts left are reported in
 * `batchItemFailures` (partial batch response: the event source mapping must enable
 * ReportBatchItemFailures) so only they come back, after their backoff. Jobs that used their last
 * attempt are dead-lettered in the store (admins retry them) and removed from the queue.
 */

let visibilityClient: SQSClient | undefined;

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
	const { config, runtime } = await lambdaParts();
	const { dependencies } = runtime;
	const worker = createQuestionWorker({
		questions: dependencies.store.questions,
		users: dependencies.store.users,
		chat: dependencies.chat,
		notifier: dependencies.notifier,
		metrics: dependencies.metrics,
		logger: dependencies.logger,
	});
	const failures: SQSBatchResponse["batchItemFailures"] = [];
	// One at a time: a batch is small (the mapping's batch size), and answers share the process's connections.
	for (const record of event.Records) {
		const result = await deliver(
			{ body: record.body, receiveCount: Number(record.attributes.ApproximateReceiveCount) },
			{ handler: worker.handle, onDeadLetter: worker.onDeadLetter },
			config.queue,
		).catch((error: unknown) => {
			dependencies.logger.error({ err: error, message_id: record.messageId }, "question job could not be handled");
			return { outcome: "retry" as const, visibleAfterSeconds: 0 };
		});
		if (result.outcome === "done") continue;
		failures.push({ itemIdentifier: record.messageId });
		const queueUrl = config.queue.sqs?.queueUrl;
		if (queueUrl !== undefined && result.visibleAfterSeconds > 0) {
			visibilityClient ??= new SQSClient(
				config.queue.sqs?.endpoint === undefined ? {} : { endpoint: config.queue.sqs.endpoint },
			);
			// Backoff: without this the message would return after the queue's whole visibility timeout.
			await visibilityClient
				.send(
					new ChangeMessageVisibilityCommand({
						QueueUrl: queueUrl,
						ReceiptHandle: record.receiptHandle,
						VisibilityTimeout: result.visibleAfterSeconds,
					}),
				)
				.catch((error: unknown) => dependencies.logger.warn({ err: error }, "could not delay the job's retry"));
		}
	}
	return { batchItemFailures: failures };
}
