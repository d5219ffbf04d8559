/**
 * Bounds a Redis-backed call. Connections that must wait for Redis (BullMQ's, a subscriber's)
 * queue commands while it is down; a request or a metrics scrape must fail instead of hanging.
 */
export async function withinMs<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what}: Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
	});
	try {
		return await Promise.race([work, timeout]);
	} finally {
		clearTimeout(timer);
	}
}
