"use strict";
// Preloaded into the Portkey gateway (node --require): it listens on every interface and has no host
// option, so every server of that process is bound to loopback instead and the benchmark opens nothing
// to the network.
const net = require("node:net");

const loopback = "127.0.0.1";
const originalListen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(...args) {
	const first = args[0];
	if (first !== null && typeof first === "object") {
		// listen(options[, callback]); a Unix socket (options.path) has no host to replace.
		if (first.path === undefined) args[0] = { ...first, host: loopback };
		return originalListen.apply(this, args);
	}
	if (typeof first === "string" && Number.isNaN(Number(first))) {
		// listen(path[, backlog][, callback]): a Unix socket, not a network port.
		return originalListen.apply(this, args);
	}
	// listen([port[, host[, backlog]]][, callback]): keep port, backlog and callback; replace the host.
	const callback = typeof args.at(-1) === "function" ? args.pop() : undefined;
	const backlog = args.slice(1).find((value) => typeof value === "number");
	const options = { port: Number(first ?? 0), host: loopback };
	if (backlog !== undefined) options.backlog = backlog;
	return callback === undefined ? originalListen.call(this, options) : originalListen.call(this, options, callback);
};
