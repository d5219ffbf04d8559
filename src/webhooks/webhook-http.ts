import { type LookupAddress, lookup } from "node:dns";
import type { LookupFunction } from "node:net";
import { Agent, request } from "undici";
import { version } from "../version.js";
import { checkAddresses, checkTarget, type TargetPolicy } from "./webhook-target.js";

export interface WebhookResponse {
	status: number;
	/** Seconds from a Retry-After header (delta form), when present. */
	retryAfterSeconds: number | undefined;
}

/**
 * net.connect's `lookup`: resolves the name and refuses (with WebhookTargetRefusedError) when any
 * address is not public, unless the host is allow-listed. The socket then connects to an address
 * this function returned, never to one from a second resolution.
 */
export function createGuardedLookup(policy: TargetPolicy): LookupFunction {
	return (hostname, lookupOptions, callback) => {
		const host = hostname.toLowerCase();
		lookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
			if (error) return callback(error, "", 0);
			try {
				if (!policy.allowedHosts.has(host))
					checkAddresses(
						host,
						addresses.map((entry) => entry.address),
					);
			} catch (refusal) {
				return callback(refusal as NodeJS.ErrnoException, "", 0);
			}
			if (lookupOptions.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
			const first = addresses[0];
			if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0);
			return callback(null, first.address, first.family);
		});
	};
}

/**
 * POSTs deliveries. The agent resolves names itself and checks each address before connecting,
 * so the address connected to is the address checked (no second resolution an attacker's DNS
 * could answer differently). IP literals never reach the lookup; checkTarget covers them.
 * Redirects are not followed: a 3xx is a failed attempt.
 */
export function createWebhookHttp(options: { policy: TargetPolicy; timeoutMs: number }) {
	const { policy } = options;
	const guardedLookup = createGuardedLookup(policy);
	const agent = new Agent({
		connect: { lookup: guardedLookup, timeout: options.timeoutMs },
		headersTimeout: options.timeoutMs,
		bodyTimeout: options.timeoutMs,
		// One delivery per connection is common for webhooks; keep idle sockets briefly only.
		keepAliveTimeout: 4000,
	});

	return {
		async post(target: string, body: string, headers: Record<string, string>): Promise<WebhookResponse> {
			const url = new URL(target);
			await checkTarget(url, policy);
			const response = await request(url, {
				method: "POST",
				dispatcher: agent,
				headers: {
					"content-type": "application/json",
					"user-agent": `Parley-Webhooks/${version}`,
					...headers,
				},
				body,
				signal: AbortSignal.timeout(options.timeoutMs),
			});
			// The body is not used; reading it to the end frees the connection.
			await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
			const retryAfter = Number(response.headers["retry-after"]);
			return {
				status: response.statusCode,
				retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
			};
		},
		close: () => agent.close(),
	};
}

export type WebhookHttp = ReturnType<typeof createWebhookHttp>;
