import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";

// `=` and `+` included: API Gateway HTTP API request ids are base64 ("CQx3TjJ2oAMEbYw=").
const wellFormed = /^[A-Za-z0-9._:=+-]{1,128}$/;

/** Accepts the client's X-Request-Id when it is safe to echo and log; otherwise makes one. */
export function requestIdFor(request: IncomingMessage): string {
	const given = request.headers["x-request-id"];
	return typeof given === "string" && wellFormed.test(given) ? given : randomUUID();
}
