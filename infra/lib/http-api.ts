import { RemovalPolicy } from "aws-cdk-lib";
import { HttpApi, LogGroupLogDestination } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";

/** An HTTP API sending every route to the API function, throttled, with access logs. */
export function createHttpApi(scope: Construct, props: { api: IFunction; logRetention: RetentionDays }): HttpApi {
	const accessLogs = new LogGroup(scope, "ApiAccessLogs", {
		retention: props.logRetention,
		removalPolicy: RemovalPolicy.DESTROY,
	});
	const httpApi = new HttpApi(scope, "HttpApi", {
		defaultIntegration: new HttpLambdaIntegration("Parley", props.api),
		createDefaultStage: false,
	});
	httpApi.addStage("DefaultStage", {
		stageName: "$default",
		autoDeploy: true,
		// Parley's own per-user limits decide; this only shields the account from floods.
		throttle: { rateLimit: 200, burstLimit: 400 },
		accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
	});
	return httpApi;
}
