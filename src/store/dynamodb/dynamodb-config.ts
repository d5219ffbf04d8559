/**
 * Reads a `dynamodb://<table>?region=<region>&endpoint=<url>` DATABASE_URL. The table is the
 * single table of the design in dynamodb-table.ts; `endpoint` points the SDK at a local server
 * (dynalite, DynamoDB Local) and is left out on AWS, where the region alone locates the service.
 * Credentials come from the AWS SDK's own provider chain, never from the URL.
 */

export interface DynamoDbSettings {
	tableName: string;
	/** Falls back to AWS_REGION / the SDK's chain when absent. */
	region: string | undefined;
	endpoint: string | undefined;
}

// DynamoDB's own rule for table names.
const tableNamePattern = /^[A-Za-z0-9_.-]{3,255}$/;

export function isDynamoDbUrl(databaseUrl: string): boolean {
	return /^dynamodb:\/\//i.test(databaseUrl.trim());
}

export function parseDynamoDbUrl(databaseUrl: string): DynamoDbSettings {
	let url: URL;
	try {
		url = new URL(databaseUrl.trim());
	} catch {
		throw new Error("DATABASE_URL is not a valid dynamodb:// URL (dynamodb://<table>?region=<region>)");
	}
	// `dynamodb://parley` puts the table in the host part; the host is lower-cased by URL parsing,
	// so the table name is read from the raw text to keep its case.
	const tableName = /^dynamodb:\/\/([^/?#]*)/i.exec(databaseUrl.trim())?.[1] ?? "";
	if (!tableNamePattern.test(tableName)) {
		throw new Error(
			`DATABASE_URL names DynamoDB table ${JSON.stringify(tableName)}; a table name is 3 to 255 letters, digits, _ . or -`,
		);
	}
	const unknown = [...url.searchParams.keys()].filter((key) => key !== "region" && key !== "endpoint");
	if (unknown.length > 0) {
		throw new Error(`DATABASE_URL has unknown DynamoDB parameters: ${unknown.join(", ")} (known: region, endpoint)`);
	}
	const endpoint = url.searchParams.get("endpoint") ?? undefined;
	if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/i.test(endpoint)) {
		throw new Error("DATABASE_URL endpoint must be an http(s) URL, e.g. endpoint=http://127.0.0.1:4567");
	}
	return { tableName, region: url.searchParams.get("region") ?? undefined, endpoint };
}

/** Table and region (or endpoint), for messages and logs. */
export function describeDynamoDbTarget(settings: DynamoDbSettings): string {
	return `table ${settings.tableName} (${settings.endpoint ?? settings.region ?? "default region"})`;
}
