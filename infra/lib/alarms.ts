import { Duration } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";

/**
 * Alarms an operator subscribes to (the `Alarms` topic): server errors above 5% of requests,
 * any dead-lettered job message, and throttled functions.
 */
export function createAlarms(
	scope: Construct,
	props: { httpApi: HttpApi; deadLetters: Queue; functions: LambdaFunction[] },
): Topic {
	const topic = new Topic(scope, "Alarms", { enforceSSL: true });
	const action = new SnsAction(topic);
	const apiMetric = (metricName: string) =>
		new Metric({
			namespace: "AWS/ApiGateway",
			metricName,
			dimensionsMap: { ApiId: props.httpApi.apiId, Stage: "$default" },
			statistic: "Sum",
			period: Duration.minutes(5),
		});
	const serverErrors = new Alarm(scope, "ServerErrorRate", {
		alarmDescription: "More than 5% of API requests answered 5xx over 5 minutes",
		metric: new MathExpression({
			expression: "IF(requests > 0, 100 * errors / requests, 0)",
			usingMetrics: { errors: apiMetric("5xx"), requests: apiMetric("Count") },
			period: Duration.minutes(5),
		}),
		threshold: 5,
		evaluationPeriods: 1,
		comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
		treatMissingData: TreatMissingData.NOT_BREACHING,
	});
	const deadLetters = new Alarm(scope, "DeadLetteredJobs", {
		alarmDescription: "Question job messages reached the dead-letter queue",
		metric: props.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
		threshold: 0,
		evaluationPeriods: 1,
		comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
		treatMissingData: TreatMissingData.NOT_BREACHING,
	});
	const throttles = props.functions.map(
		(fn, index) =>
			new Alarm(scope, `Throttles${index}`, {
				alarmDescription: `Invocations of ${fn.node.id} were throttled`,
				metric: fn.metricThrottles({ period: Duration.minutes(5) }),
				threshold: 0,
				evaluationPeriods: 1,
				comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
				treatMissingData: TreatMissingData.NOT_BREACHING,
			}),
	);
	for (const alarm of [serverErrors, deadLetters, ...throttles]) alarm.addAlarmAction(action);
	return topic;
}
