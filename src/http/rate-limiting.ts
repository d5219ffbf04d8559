import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../errors.js";
import type { Metrics } from "../observability/metrics.js";
import {
	type RateCounter,
	type RateDecision,
	type RateLimitStore,
	RateLimitStoreError,
	type RateWindow,
} from "../ratelimit/rate-limit-port.js";
import { type RateLimitPolicy, rateWindow } from "../ratelimit/rate-limit-rules.js";
import "./fastify-augmentation.js";

/**
 * Rate limits per identity (the user, else the client's IP) and per route, several windows at
 * once, announced with the IETF ratelimit-headers draft's `RateLimit-Policy` and `RateLimit`.
 * Authenticated routes follow the policy (RATE_LIMIT_PER_MINUTE, RATE_LIMITS); login and
 * register are limited per IP and per account against password guessing.
 */

export interface RateLimitingOptions {
	store: RateLimitStore;
	policy: RateLimitPolicy;
	/** Login and register attempts per minute, per IP and per account; 0 for none. */
	authenticationPerMinute: number;
	/** When the store cannot be asked: let the request through (open) or refuse it (closed). */
	failureMode: "open" | "closed";
	metrics: Pick<Metrics, "rateLimitRejections" | "rateLimitStoreErrors">;
	now?: () => number;
}

const policyHeaders = new WeakMap<readonly RateWindow[], string>();

function policyHeader(windows: readonly RateWindow[]): string {
	let header = policyHeaders.get(windows);
	if (header === undefined) {
		header = windows.map((window) => `"${window.name}";q=${window.limit};w=${window.windowMs / 1000}`).join(", ");
		policyHeaders.set(windows, header);
	}
	return header;
}

export function registerRateLimiting(app: FastifyInstance, options: RateLimitingOptions): void {
	const { store, policy, metrics } = options;
	const now = options.now ?? Date.now;
	const authenticationWindows =
		options.authenticationPerMinute > 0 ? [rateWindow(options.authenticationPerMinute, 60_000)] : [];

	async function enforce(
		request: FastifyRequest,
		reply: FastifyReply,
		route: string,
		windows: readonly RateWindow[],
		counters: RateCounter[],
	): Promise<void> {
		let decision: RateDecision;
		try {
			decision = await store.hit(counters, now());
		} catch (error) {
			if (!(error instanceof RateLimitStoreError)) throw error;
			metrics.rateLimitStoreErrors.inc();
			request.log.warn({ err: error }, "rate limit store unavailable");
			if (options.failureMode === "open") return;
			throw new AppError("rate_limit_unavailable", { headers: { "retry-after": "1" } });
		}
		reply.header("ratelimit-policy", policyHeader(windows));
		reply.header(
			"ratelimit",
			decision.windows
				.map((state) => `"${state.window.name}";r=${state.remaining};t=${Math.ceil(state.resetMs / 1000)}`)
				.join(", "),
		);
		if (decision.allowed) return;
		metrics.rateLimitRejections.inc({ route });
		const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
		throw new AppError("rate_limited", {
			detail: `too many requests to ${route}; retry in ${retryAfterSeconds} s`,
			headers: { "retry-after": String(retryAfterSeconds) },
			extensions: { retry_after_seconds: retryAfterSeconds },
		});
	}

	// After the authentication hook (registration order): the user is known, the body not yet read.
	app.addHook("onRequest", async (request, reply) => {
		const config = request.routeOptions.config;
		if (request.is404 || config?.access === "public") return;
		const route = `${request.method} ${request.routeOptions.url}`;
		const principal = request.principal;
		const windows = policy.windowsFor(route, principal?.roles ?? []);
		if (windows.length === 0) return;
		const identity = principal === null ? `ip:${request.ip}` : `user:${principal.userId}`;
		const counters = windows.map((window) => ({ key: `${route}|${identity}|${window.windowMs}`, window }));
		await enforce(request, reply, route, windows, counters);
	});

	// Password guessing: attempts per IP and per account, once the body names the account.
	app.addHook("preHandler", async (request, reply) => {
		if (request.routeOptions.config?.guardsAccount !== true || authenticationWindows.length === 0) return;
		const route = `${request.method} ${request.routeOptions.url}`;
		const window = authenticationWindows[0] as RateWindow;
		const counters: RateCounter[] = [{ key: `${route}|ip:${request.ip}|${window.windowMs}`, window }];
		const account = accountOf(request.body);
		if (account !== undefined) counters.push({ key: `${route}|account:${account}|${window.windowMs}`, window });
		await enforce(request, reply, route, authenticationWindows, counters);
	});
}

function accountOf(body: unknown): string | undefined {
	if (typeof body !== "object" || body === null) return undefined;
	const { email, username } = body as { email?: unknown; username?: unknown };
	const account = typeof email === "string" ? email : typeof username === "string" ? username : undefined;
	return account?.trim().toLowerCase() || undefined;
}
