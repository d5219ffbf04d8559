import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * SSRF guard for webhook URLs: a user must not make Parley call into its own network. Addresses
 * that are not public unicast are refused unless the URL's host is listed in
 * WEBHOOK_ALLOWED_HOSTS (exactly as written in the URL; a name is not allowed by the address it
 * resolves to, so an allow-listed 127.0.0.1 does not let "localhost" or any name pointing at it
 * through). The check runs at registration and again at every connection (see webhook-http.ts),
 * so a name re-pointed to a private address after registration (DNS rebinding) is refused too.
 */

const refused = new BlockList();
for (const [network, prefix] of [
	["0.0.0.0", 8], // "this network", including the unspecified 0.0.0.0
	["10.0.0.0", 8],
	["100.64.0.0", 10], // carrier-grade NAT; also Alibaba Cloud's metadata 100.100.100.200
	["127.0.0.0", 8],
	["169.254.0.0", 16], // link-local, including the cloud metadata address 169.254.169.254
	["172.16.0.0", 12],
	["192.0.0.0", 24],
	["192.168.0.0", 16],
	["198.18.0.0", 15],
	["224.0.0.0", 4], // multicast
	["240.0.0.0", 4], // reserved, including the broadcast address
] as const) {
	refused.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
	["::", 128], // unspecified
	["::1", 128], // loopback
	["fc00::", 7], // unique local, including AWS's metadata fd00:ec2::254
	["fe80::", 10], // link-local
	["ff00::", 8], // multicast
	["64:ff9b::", 96], // NAT64: embeds an IPv4 address that may be private
	["2001:db8::", 32], // documentation
] as const) {
	refused.addSubnet(network, prefix, "ipv6");
}

const mappedIpv4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** Why an address may not be a webhook target, or undefined when it is public. */
export function refusalOf(address: string): string | undefined {
	const mapped = mappedIpv4.exec(address)?.[1];
	if (mapped !== undefined) return refusalOf(mapped);
	const family = isIP(address);
	if (family === 0) return `${address} is not an IP address`;
	return refused.check(address, family === 4 ? "ipv4" : "ipv6")
		? `${address} is a private, loopback, link-local or reserved address`
		: undefined;
}

export class WebhookTargetRefusedError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "WebhookTargetRefusedError";
	}
}

export interface TargetPolicy {
	/** Hosts (names or IP literals, lower case, IPv6 without brackets) that may be private. */
	allowedHosts: ReadonlySet<string>;
}

/** The URL's host as compared with the allow-list: lower case, IPv6 without brackets. */
export const hostOf = (url: URL): string => url.hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");

/** Checks the URL's shape and every address its host resolves to; throws WebhookTargetRefusedError. */
export async function checkTarget(url: URL, policy: TargetPolicy): Promise<void> {
	if (url.protocol !== "https:" && url.protocol !== "http:") {
		throw new WebhookTargetRefusedError("the URL must be http or https");
	}
	if (url.username !== "" || url.password !== "") {
		throw new WebhookTargetRefusedError("the URL must not carry credentials");
	}
	const host = hostOf(url);
	if (policy.allowedHosts.has(host)) return;
	const addresses = isIP(host) !== 0 ? [host] : await resolveAll(host);
	checkAddresses(host, addresses);
}

export function checkAddresses(host: string, addresses: string[]): void {
	for (const address of addresses) {
		const refusal = refusalOf(address);
		if (refusal !== undefined) {
			throw new WebhookTargetRefusedError(
				address === host ? refusal : `${host} resolves to ${address}: ${refusal.replace(`${address} is`, "it is")}`,
			);
		}
	}
}

async function resolveAll(host: string): Promise<string[]> {
	try {
		return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
	} catch (error) {
		throw new WebhookTargetRefusedError(
			`${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? "error"})`,
		);
	}
}
