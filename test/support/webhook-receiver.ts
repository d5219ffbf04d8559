import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
	path: string;
	headers: IncomingHttpHeaders;
	body: string;
}

/**
 * A real HTTP server on 127.0.0.1 that records every request. `answers` maps a path to the
 * statuses it answers in turn (the last one repeats); other paths answer 204.
 */
export async function startWebhookReceiver(
	answers: Record<string, Array<number | { status: number; location: string }>> = {},
) {
	const received: ReceivedWebhook[] = [];
	const served = new Map<string, number>();
	const server = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on("data", (chunk: Buffer) => chunks.push(chunk));
		request.on("end", () => {
			const path = request.url ?? "/";
			received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
			const sequence = answers[path];
			const count = served.get(path) ?? 0;
			served.set(path, count + 1);
			const answer = sequence ? (sequence[Math.min(count, sequence.length - 1)] ?? 204) : 204;
			if (typeof answer === "number") {
				response.writeHead(answer).end();
			} else {
				response.writeHead(answer.status, { location: answer.location }).end();
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;
	return {
		port,
		url: `http://127.0.0.1:${port}`,
		received,
		on: (path: string) => received.filter((request) => request.path === path),
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
