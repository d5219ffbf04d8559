import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParleyStack } from "../../infra/lib/parley-stack.js";

/**
 * The CDK stack, synthesized offline (no AWS account): what it creates, how the pieces connect,
 * and that every permission is scoped to Parley's own resources.
 */

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

describe("CDK stack", () => {
	let outdir: string;
	let template: Template;

	beforeAll(() => {
		outdir = mkdtempSync(path.join(tmpdir(), "parley-cdk-"));
		const app = new App({ outdir });
		const stack = new ParleyStack(app, "ParleyTest", { env: { account: "123456789012", region: "eu-west-1" } });
		template = Template.fromStack(stack);
	});
	afterAll(() => rmSync(outdir, { recursive: true, force: true }));

	it("has the single table with both indexes, TTL, on-demand billing and point-in-time recovery", () => {
		template.resourceCountIs("AWS::DynamoDB::Table", 1);
		template.hasResource("AWS::DynamoDB::Table", {
			DeletionPolicy: "Retain",
			Properties: {
				KeySchema: [
					{ AttributeName: "pk", KeyType: "HASH" },
					{ AttributeName: "sk", KeyType: "RANGE" },
				],
				BillingMode: "PAY_PER_REQUEST",
				TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
				PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
				GlobalSecondaryIndexes: [
					Match.objectLike({ IndexName: "gsi1", Projection: { ProjectionType: "ALL" } }),
					Match.objectLike({ IndexName: "gsi2", Projection: { ProjectionType: "ALL" } }),
				],
			},
		});
	});

	it("feeds the worker from the question queue with partial batch failures, a DLQ behind it", () => {
		template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
			FunctionResponseTypes: ["ReportBatchItemFailures"],
			EventSourceArn: { "Fn::GetAtt": [Match.stringLikeRegexp("^Questions"), "Arn"] },
		});
		const queues = template.findResources("AWS::SQS::Queue");
		const questions = Object.entries(queues).find(([id]) => id.startsWith("Questions"))?.[1] as {
			Properties: { VisibilityTimeout: number; RedrivePolicy: { maxReceiveCount: number } };
		};
		expect(questions.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
		const workers = template.findResources("AWS::Lambda::Function", {
			Properties: { ImageConfig: { Command: ["dist/lambda/sqs-worker-handler.handler"] } },
		});
		const worker = Object.values(workers)[0] as { Properties: { Timeout: number } };
		// A job stays hidden for six times the worker's time limit (AWS's advice).
		expect(questions.Properties.VisibilityTimeout).toBe(worker.Properties.Timeout * 6);
	});

	it("runs both functions from the Dockerfile's lambda image with their settings, secrets by reference only", () => {
		const functions = Object.values(template.findResources("AWS::Lambda::Function")) as Array<{
			Properties: { PackageType: string; ImageConfig: { Command: string[] }; Environment: { Variables: object } };
		}>;
		expect(functions.map((fn) => fn.Properties.ImageConfig.Command[0]).sort()).toEqual([
			"dist/lambda/http-handler.handler",
			"dist/lambda/sqs-worker-handler.handler",
		]);
		for (const fn of functions) {
			expect(fn.Properties.PackageType).toBe("Image");
			const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
			expect(Object.keys(variables)).toEqual(
				expect.arrayContaining(["DATABASE_URL", "SQS_QUEUE_URL", "SNS_TOPIC_ARN", "SECRETS_MANAGER_SECRET_IDS"]),
			);
			expect(variables.NODE_ENV).toBe("production");
			expect(Object.keys(variables)).not.toEqual(
				expect.arrayContaining(["AUTH_SIGNING_KEY_SEED", "PARLEY_MASTER_KEY", "OPENAI_API_KEY"]),
			);
		}
		template.resourceCountIs("AWS::SecretsManager::Secret", 3);
		template.hasResourceProperties("AWS::SecretsManager::Secret", {
			GenerateSecretString: Match.objectLike({ GenerateStringKey: "AUTH_SIGNING_KEY_SEED", PasswordLength: 64 }),
		});
	});

	it("puts an HTTP API with throttling and access logs in front of the API function", () => {
		template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
			StageName: "$default",
			DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
			AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
		});
		template.hasResourceProperties("AWS::ApiGatewayV2::Route", { RouteKey: "$default" });
	});

	it("keeps logs for a month and alarms on server errors, dead letters and throttles", () => {
		for (const group of Object.values(template.findResources("AWS::Logs::LogGroup"))) {
			expect((group as { Properties: { RetentionInDays: number } }).Properties.RetentionInDays).toBe(30);
		}
		const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")) as Array<{
			Properties: { AlarmDescription: string; AlarmActions: unknown[] };
		}>;
		expect(alarms.map((alarm) => alarm.Properties.AlarmDescription)).toEqual(
			expect.arrayContaining([
				expect.stringContaining("5xx"),
				expect.stringContaining("dead-letter"),
				expect.stringContaining("throttled"),
			]),
		);
		for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
	});

	it("grants no wildcard action and no permission beyond Parley's own table, queue, topic and secrets", () => {
		const statements = Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
			(policy) =>
				(policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
		);
		expect(statements.length).toBeGreaterThan(0);
		const ownResource = /^(Table|Questions|QuestionEvents|SigningKeySeed|MasterKey|ProviderKeys)/;
		for (const statement of statements) {
			const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
			for (const action of actions) expect(action).not.toMatch(/\*/);
			const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
			for (const resource of resources) {
				expect(resource).not.toBe("*");
				// Every resource is a reference to one of the stack's own (or its indexes).
				expect(JSON.stringify(resource)).toMatch(new RegExp(`"(${ownResource.source.slice(2, -1)})[A-Z0-9]`));
			}
			if (actions.some((action) => action.startsWith("dynamodb:"))) {
				expect(actions).not.toContain("dynamodb:Scan");
			}
		}
	});
});
