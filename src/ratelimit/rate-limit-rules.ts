import type { RateWindow } from "./rate-limit-port.js";

/**
 * Which windows apply to a request: rules from RATE_LIMITS over built-in defaults, chosen by
 * route and role. Syntax, `;`-separated: `[role:<role>] [<METHOD> <path>]=<windows>`, windows
 * being `N/s`, `N/min`, `N/h`, `N/d` (also `N/10min`), comma-separated, or `off`. Example:
 * `POST /v1/prompts=1/s,10/min; role:admin=600/min; role:admin POST /v1/chat=off`.
 */

export interface RateLimitRule {
	role: string | undefined;
	/** "METHOD /path" as routes are declared (`/v1/conversations/:id`), or undefined for every route. */
	route: string | undefined;
	/** Empty: no limit. */
	windows: RateWindow[];
}

const unitMs: Record<string, number> = {
	s: 1000,
	sec: 1000,
	second: 1000,
	m: 60_000,
	min: 60_000,
	minute: 60_000,
	h: 3_600_000,
	hour: 3_600_000,
	d: 86_400_000,
	day: 86_400_000,
};

const windowNames: Record<number, string> = { 1000: "second", 60000: "minute", 3600000: "hour", 86400000: "day" };

/** The seeds' Prompt Service: one prompt per second, ten per minute. */
export const defaultRuleText = "POST /v1/prompts=1/s,10/min";

export function rateWindow(limit: number, windowMs: number): RateWindow {
	return { name: windowNames[windowMs] ?? `${windowMs / 1000}s`, limit, windowMs };
}

function parseWindow(text: string): RateWindow {
	const match = /^(\d+)\s*\/\s*(\d+)?\s*([a-z]+)$/i.exec(text.trim());
	const unit = match?.[3]?.toLowerCase();
	if (match === null || unit === undefined || unitMs[unit] === undefined) {
		throw new Error(`"${text.trim()}" is not a window; write N/s, N/min, N/h or N/d`);
	}
	const limit = Number(match[1]);
	if (limit < 1) throw new Error(`"${text.trim()}": a limit is at least 1 (use "off" for none)`);
	return rateWindow(limit, Number(match[2] ?? 1) * unitMs[unit]);
}

/** Parses RATE_LIMITS; throws an Error whose message says which part is wrong. */
export function parseRateLimitRules(text: string): RateLimitRule[] {
	const rules: RateLimitRule[] = [];
	for (const entry of text.split(";")) {
		if (entry.trim() === "") continue;
		const equals = entry.lastIndexOf("=");
		if (equals === -1) throw new Error(`"${entry.trim()}" has no "=<windows>"`);
		const selector = entry.slice(0, equals).trim().split(/\s+/).filter(Boolean);
		let role: string | undefined;
		if (selector[0]?.startsWith("role:")) {
			role = selector.shift()?.slice("role:".length);
			if (!role) throw new Error(`"${entry.trim()}": role: needs a role name`);
		}
		let route: string | undefined;
		if (selector.length === 2 && /^[A-Z]+$/.test(selector[0] ?? "") && selector[1]?.startsWith("/")) {
			route = `${selector[0]} ${selector[1]}`;
		} else if (selector.length !== 0) {
			throw new Error(`"${entry.trim()}": expected [role:<role>] [METHOD /path] before "="`);
		}
		if (role === undefined && route === undefined)
			throw new Error(`"${entry.trim()}" names neither a role nor a route`);
		const windowsText = entry.slice(equals + 1).trim();
		const windows = windowsText.toLowerCase() === "off" ? [] : windowsText.split(",").map(parseWindow);
		rules.push({ role, route, windows });
	}
	return rules;
}

export interface RateLimitPolicy {
	/** Windows for an authenticated request on a route, for a caller with these roles. */
	windowsFor(route: string, roles: readonly string[]): readonly RateWindow[];
}

/**
 * Most specific first: role and route, then route, then role, then the default. Later rules
 * replace earlier ones with the same selector, so RATE_LIMITS overrides the built-in rules.
 */
export function createRateLimitPolicy(options: { perMinute: number; rules: RateLimitRule[] }): RateLimitPolicy {
	const byRoleAndRoute = new Map<string, RateWindow[]>();
	const byRoute = new Map<string, RateWindow[]>();
	const byRole = new Map<string, RateWindow[]>();
	for (const rule of options.rules) {
		if (rule.role !== undefined && rule.route !== undefined)
			byRoleAndRoute.set(`${rule.role} ${rule.route}`, rule.windows);
		else if (rule.route !== undefined) byRoute.set(rule.route, rule.windows);
		else if (rule.role !== undefined) byRole.set(rule.role, rule.windows);
	}
	const fallback = options.perMinute > 0 ? [rateWindow(options.perMinute, 60_000)] : [];
	const resolved = new Map<string, readonly RateWindow[]>();

	function resolve(route: string, roles: readonly string[]): readonly RateWindow[] {
		for (const role of roles) {
			const windows = byRoleAndRoute.get(`${role} ${route}`);
			if (windows !== undefined) return windows;
		}
		const routeWindows = byRoute.get(route);
		if (routeWindows !== undefined) return routeWindows;
		for (const role of roles) {
			const windows = byRole.get(role);
			if (windows !== undefined) return windows;
		}
		return fallback;
	}

	return {
		windowsFor(route, roles) {
			// Few routes times few role sets: resolved once each, not per request.
			const cacheKey = roles.length === 0 ? route : `${route}\u0000${roles.join("\u0000")}`;
			let windows = resolved.get(cacheKey);
			if (windows === undefined) {
				windows = resolve(route, roles);
				if (resolved.size < 10_000) resolved.set(cacheKey, windows);
			}
			return windows;
		},
	};
}
