import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

/**
 * SQS, SNS and Secrets Manager at the HTTP level, for checking what the AWS SDK sends: a server on 127.0.0.1
 * that records every request and answers with the recorded responses in test/fixtures/aws/ —
 * SQS speaks AWS JSON 1.0 (`X-Amz-Target: AmazonSQS.<Action>`), SNS the query protocol
 * (form-encoded `Action=Publish`, XML answers). ReceiveMessage hands out what `offerMessages`
 * queued, once.
 */

export interface RecordedAwsRequest {
	service: "sqs" | "sns" | "secretsmanager";
	action: string;
	/** SQS: the JSON body; SNS: the form fields. */
	body: Record<string, unknown>;
	headers: IncomingMessage["headers"];
}

export interface FakeAws {
	url: string;
	requests: RecordedAwsRequest[];
	offerMessages(messages: Array<{ body: string; receiveCount?: number }>): void;
	/** GetSecretValue answers with this SecretString for the id. */
	putSecret(id: string, secretString: string): void;
	close(): Promise<void>;
}

const fixtures = path.join(import.meta.dirname, "..", "fixtures", "aws");
const sqsResponses = JSON.parse(readFileSync(path.join(fixtures, "sqs-responses.json"), "utf8")) as Record<
	string,
	unknown
>;
const snsPublishResponse = readFileSync(path.join(fixtures, "sns-publish-response.xml"), "utf8");

export async function startFakeAws(): Promise<FakeAws> {
	const requests: RecordedAwsRequest[] = [];
	const offered: Array<{ body: string; receiveCount?: number }> = [];
	const secrets = new Map<string, string>();
	let received = 0;
	const server = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on("data", (chunk: Buffer) => chunks.push(chunk));
		request.on("end", () => {
			const text = Buffer.concat(chunks).toString("utf8");
			const target = request.headers["x-amz-target"];
			if (typeof target === "string" && target.startsWith("secretsmanager.")) {
				const body = JSON.parse(text) as Record<string, unknown>;
				requests.push({
					service: "secretsmanager",
					action: target.slice("secretsmanager.".length),
					body,
					headers: request.headers,
				});
				const secret = secrets.get(String(body.SecretId));
				if (secret === undefined) {
					response.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
					response.end(
						JSON.stringify({
							__type: "ResourceNotFoundException",
							Message: "Secrets Manager can't find the specified secret.",
						}),
					);
					return;
				}
				response.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
				response.end(
					JSON.stringify({
						ARN: body.SecretId,
						Name: "parley/app",
						SecretString: secret,
						VersionId: "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
						VersionStages: ["AWSCURRENT"],
						CreatedDate: 1795478400,
					}),
				);
				return;
			}
			if (typeof target === "string" && target.startsWith("AmazonSQS.")) {
				const action = target.slice("AmazonSQS.".length);
				const body = JSON.parse(text) as Record<string, unknown>;
				requests.push({ service: "sqs", action, body, headers: request.headers });
				let answer = JSON.stringify(sqsResponses[action] ?? {});
				if (action === "SendMessage") {
					answer = answer.replace("{{md5}}", createHash("md5").update(String(body.MessageBody)).digest("hex"));
				}
				if (action === "ReceiveMessage" && offered.length === 0) {
					// Long polling: an empty queue answers after a wait (shortened here), not at once.
					setTimeout(() => {
						response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
						response.end("{}");
					}, 100);
					return;
				}
				if (action === "ReceiveMessage") {
					const messages = offered.splice(0).map((message) => {
						received += 1;
						return {
							MessageId: `message-${received}`,
							ReceiptHandle: `receipt-${received}`,
							Body: message.body,
							MD5OfBody: createHash("md5").update(message.body).digest("hex"),
							Attributes: { ApproximateReceiveCount: String(message.receiveCount ?? 1) },
						};
					});
					answer = JSON.stringify(messages.length > 0 ? { Messages: messages } : {});
				}
				response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
				response.end(answer);
				return;
			}
			const form = Object.fromEntries(new URLSearchParams(text));
			requests.push({ service: "sns", action: String(form.Action), body: form, headers: request.headers });
			response.writeHead(200, { "content-type": "text/xml" });
			response.end(snsPublishResponse);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		offerMessages: (messages) => offered.push(...messages),
		putSecret: (id, secretString) => secrets.set(id, secretString),
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
