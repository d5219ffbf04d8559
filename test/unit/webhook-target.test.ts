import { connect, createServer, type LookupFunction } from "node:net";
import { describe, expect, it } from "vitest";
import { createGuardedLookup } from "../../src/webhooks/webhook-http.js";
import { checkTarget, refusalOf, WebhookTargetRefusedError } from "../../src/webhooks/webhook-target.js";

// Real: node's DNS resolver (for "localhost") and a TCP server on 127.0.0.1.

const noAllowList = { allowedHosts: new Set<string>() };

function lookupOnce(lookup: LookupFunction, hostname: string, all: boolean) {
	return new Promise<{ error: Error | null; result: unknown }>((resolve) => {
		lookup(hostname, { all }, (error, result) => resolve({ error, result }));
	});
}

describe("webhook targets (SSRF)", () => {
	it.each([
		"127.0.0.1",
		"127.1.2.3",
		"10.0.0.1",
		"172.16.0.1",
		"172.31.255.255",
		"192.168.0.10",
		"169.254.169.254",
		"100.100.100.200",
		"0.0.0.0",
		"255.255.255.255",
		"224.0.0.1",
		"::",
		"::1",
		"fe80::1",
		"fc00::1",
		"fd00:ec2::254",
		"::ffff:127.0.0.1",
		"::ffff:10.1.2.3",
		"64:ff9b::a00:1",
	])("refuses %s", (address) => {
		expect(refusalOf(address)).toBeDefined();
	});

	it.each(["8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])(
		"accepts the public address %s",
		(address) => {
			expect(refusalOf(address)).toBeUndefined();
		},
	);

	it("checks the URL's shape and honours the allow-list as the host is written", async () => {
		await expect(checkTarget(new URL("file:///etc/passwd"), noAllowList)).rejects.toThrow(WebhookTargetRefusedError);
		await expect(checkTarget(new URL("http://user:pw@example.com/"), noAllowList)).rejects.toThrow(/credentials/);
		await expect(checkTarget(new URL("http://[::1]/"), noAllowList)).rejects.toThrow(/::1/);
		await expect(checkTarget(new URL("http://[::1]/"), { allowedHosts: new Set(["::1"]) })).resolves.toBeUndefined();
		await expect(checkTarget(new URL("http://localhost/"), { allowedHosts: new Set(["127.0.0.1"]) })).rejects.toThrow(
			/localhost resolves to/,
		);
		await expect(checkTarget(new URL("http://no-such-host.invalid/"), noAllowList)).rejects.toThrow(/does not resolve/);
	});

	it("refuses at connection time a name that resolves to a loopback address, in both lookup forms", async () => {
		const lookup = createGuardedLookup(noAllowList);
		for (const all of [true, false]) {
			const { error } = await lookupOnce(lookup, "localhost", all);
			expect(error).toBeInstanceOf(WebhookTargetRefusedError);
		}
		const allowed = await lookupOnce(createGuardedLookup({ allowedHosts: new Set(["localhost"]) }), "localhost", false);
		expect(allowed.error).toBeNull();
		expect(refusalOf(String(allowed.result))).toBeDefined();
	});

	it("never opens the connection when the guarded lookup refuses", async () => {
		let connections = 0;
		const server = createServer((socket) => {
			connections++;
			socket.destroy();
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		const { port } = server.address() as { port: number };
		try {
			const error = await new Promise<Error>((resolve) => {
				const socket = connect({ host: "localhost", port, family: 4, lookup: createGuardedLookup(noAllowList) });
				socket.on("error", resolve);
				socket.on("connect", () => resolve(new Error("connected")));
			});
			expect(error).toBeInstanceOf(WebhookTargetRefusedError);
			expect(connections).toBe(0);
		} finally {
			await new Promise((resolve) => server.close(resolve));
		}
	});
});
