import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { createAlarms } from "./alarms.js";
import { createTable } from "./data.js";
import { createFunctions, repositoryRoot } from "./functions.js";
import { createHttpApi } from "./http-api.js";
import { createMessaging } from "./messaging.js";
import { createSecrets } from "./secrets.js";

export interface ParleyStackProps extends StackProps {
	/** A custom domain's URL; the HTTP API's own URL works without one. */
	publicUrl?: string | undefined;
	/** Keep the table when the stack is destroyed (default true: it holds every user's data). */
	retainData?: boolean;
	/** The directory holding the Dockerfile (the repository root). */
	imageDirectory?: string;
}

/** Parley on AWS serverless: HTTP API → API Lambda; SQS → worker Lambda; DynamoDB; SNS; Secrets Manager. */
export class ParleyStack extends Stack {
	constructor(scope: Construct, id: string, props: ParleyStackProps = {}) {
		super(scope, id, props);
		const logRetention = RetentionDays.ONE_MONTH;
		const table = createTable(this, { retain: props.retainData ?? true });
		const messaging = createMessaging(this);
		const secrets = createSecrets(this);
		const functions = createFunctions(this, {
			table,
			questions: messaging.questions,
			questionEvents: messaging.questionEvents,
			secrets: secrets.all,
			publicUrl: props.publicUrl,
			imageDirectory: props.imageDirectory ?? repositoryRoot,
			logRetention,
		});
		const httpApi = createHttpApi(this, { api: functions.api, logRetention });
		const alarms = createAlarms(this, {
			httpApi,
			deadLetters: messaging.deadLetters,
			functions: [functions.api, functions.worker],
		});
		new CfnOutput(this, "ApiUrl", { value: httpApi.apiEndpoint });
		new CfnOutput(this, "TableName", { value: table.tableName });
		new CfnOutput(this, "QuestionQueueUrl", { value: messaging.questions.queueUrl });
		new CfnOutput(this, "QuestionEventsTopicArn", { value: messaging.questionEvents.topicArn });
		new CfnOutput(this, "AlarmsTopicArn", { value: alarms.topicArn });
		new CfnOutput(this, "ProviderKeysSecretArn", { value: secrets.providerKeys.secretArn });
	}
}
