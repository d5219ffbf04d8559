import { RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import type { Construct } from "constructs";

/**
 * The single DynamoDB table of src/store/dynamodb/dynamodb-table.ts: string keys pk/sk, gsi1
 * (per-user listings) and gsi2 (sessions, queues, ledgers), both projecting every attribute,
 * TTL on `expiresAt`. Kept when the stack is destroyed unless told otherwise: it holds users.
 */
export function createTable(scope: Construct, options: { retain: boolean }): Table {
	const table = new Table(scope, "Table", {
		partitionKey: { name: "pk", type: AttributeType.STRING },
		sortKey: { name: "sk", type: AttributeType.STRING },
		billingMode: BillingMode.PAY_PER_REQUEST,
		timeToLiveAttribute: "expiresAt",
		pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
		encryption: TableEncryption.AWS_MANAGED,
		removalPolicy: options.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
	});
	for (const index of ["gsi1", "gsi2"]) {
		table.addGlobalSecondaryIndex({
			indexName: index,
			partitionKey: { name: `${index}pk`, type: AttributeType.STRING },
			sortKey: { name: `${index}sk`, type: AttributeType.STRING },
			projectionType: ProjectionType.ALL,
		});
	}
	return table;
}
