import path from "node:path";
import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import type { Table } from "aws-cdk-lib/aws-dynamodb";
import { Platform } from "aws-cdk-lib/aws-ecr-assets";
import { Architecture, DockerImageCode, DockerImageFunction, type IFunction } from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Topic } from "aws-cdk-lib/aws-sns";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { workerTimeout } from "./messaging.js";

const tableActions = [
	"dynamodb:GetItem",
	"dynamodb:PutItem",
	"dynamodb:UpdateItem",
	"dynamodb:DeleteItem",
	"dynamodb:Query",
	"dynamodb:BatchWriteItem",
	"dynamodb:DescribeTable",
];

export interface FunctionsProps {
	table: Table;
	questions: Queue;
	questionEvents: Topic;
	secrets: Secret[];
	/** Where Parley is reached (a custom domain); the token issuer is derived from the stack otherwise. */
	publicUrl: string | undefined;
	/** The repository root: the Dockerfile's `lambda` target builds the image both functions run. */
	imageDirectory: string;
	logRetention: RetentionDays;
}

/**
 * The API function (behind the HTTP API) and the worker function (fed by the question queue),
 * one container image with two commands. Each may touch only what it uses: the table (both),
 * sending to the queue and reading its depth (API), consuming it and publishing outcomes
 * (worker), and reading the three secrets (both).
 */
export function createFunctions(scope: Construct, props: FunctionsProps) {
	const stack = Stack.of(scope);
	const environment: Record<string, string> = {
		NODE_ENV: "production",
		DATABASE_URL: `dynamodb://${props.table.tableName}?region=${stack.region}`,
		SQS_QUEUE_URL: props.questions.queueUrl,
		SNS_TOPIC_ARN: props.questionEvents.topicArn,
		SECRETS_MANAGER_SECRET_IDS: props.secrets.map((secret) => secret.secretArn).join(","),
		// The issuer names this deployment; PUBLIC_URL (a custom domain) overrides it.
		AUTH_TOKEN_ISSUER: props.publicUrl ?? `urn:parley:${stack.stackName}`,
		AUTH_DEV_LOGIN: "false",
		DEMO_KNOWLEDGE: "false",
		RATE_LIMIT_FAILURE_MODE: "open",
		...(props.publicUrl === undefined ? {} : { PUBLIC_URL: props.publicUrl }),
	};
	const image = (handler: string) =>
		DockerImageCode.fromImageAsset(props.imageDirectory, {
			target: "lambda",
			cmd: [handler],
			platform: Platform.LINUX_AMD64,
			exclude: ["cdk.out", "node_modules", ".git", "data", "test", "bench", "tools", "docs"],
		});
	const logGroup = (id: string) =>
		new LogGroup(scope, id, { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });

	const api = new DockerImageFunction(scope, "ApiFunction", {
		code: image("dist/lambda/http-handler.handler"),
		architecture: Architecture.X86_64,
		memorySize: 1024,
		// API Gateway's HTTP API gives up after 30 s.
		timeout: Duration.seconds(29),
		environment,
		logGroup: logGroup("ApiLogs"),
	});
	const worker = new DockerImageFunction(scope, "WorkerFunction", {
		code: image("dist/lambda/sqs-worker-handler.handler"),
		architecture: Architecture.X86_64,
		memorySize: 1024,
		timeout: workerTimeout,
		environment,
		logGroup: logGroup("WorkerLogs"),
	});
	worker.addEventSource(
		new SqsEventSource(props.questions, { batchSize: 5, reportBatchItemFailures: true, maxConcurrency: 10 }),
	);

	for (const fn of [api, worker]) {
		// The calls src/store/dynamodb makes, on the table and its indexes; no Scan, no streams.
		props.table.grant(fn, ...tableActions);
		for (const secret of props.secrets) secret.grantRead(fn);
	}
	// SendMessage, and GetQueueAttributes for the readiness check's queue depth.
	props.questions.grantSendMessages(api);
	props.questionEvents.grantPublish(worker);
	return { api, worker } satisfies Record<string, IFunction>;
}

export const repositoryRoot = path.resolve(import.meta.dirname, "..", "..");
