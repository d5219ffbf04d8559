import { Duration } from "aws-cdk-lib";
import { Topic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";

/** The worker Lambda's time limit; the queue hides a taken job for six times as long (AWS's advice). */
export const workerTimeout = Duration.seconds(120);

/**
 * Question jobs (SQS) with a dead-letter queue, and the topic question outcomes are published to.
 * Parley dead-letters a question itself after QUESTION_MAX_ATTEMPTS (3); the queue's redrive
 * (after 5 receives) only catches messages whose workers kept dying before they could.
 */
export function createMessaging(scope: Construct) {
	const deadLetters = new Queue(scope, "QuestionDeadLetters", {
		retentionPeriod: Duration.days(14),
		encryption: QueueEncryption.SQS_MANAGED,
		enforceSSL: true,
	});
	const questions = new Queue(scope, "Questions", {
		visibilityTimeout: Duration.seconds(workerTimeout.toSeconds() * 6),
		retentionPeriod: Duration.days(4),
		encryption: QueueEncryption.SQS_MANAGED,
		enforceSSL: true,
		deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
	});
	const questionEvents = new Topic(scope, "QuestionEvents", { enforceSSL: true });
	return { questions, deadLetters, questionEvents };
}
