import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createRateLimitPolicy, parseRateLimitRules } from "../../src/ratelimit/rate-limit-rules.js";

describe("RATE_LIMITS rules", () => {
	it("parses routes, roles and several windows", () => {
		expect(
			parseRateLimitRules("POST /v1/prompts=1/s,10/min; role:admin=600/min; role:admin POST /v1/chat=off"),
		).toEqual([
			{
				role: undefined,
				route: "POST /v1/prompts",
				windows: [
					{ name: "second", limit: 1, windowMs: 1000 },
					{ name: "minute", limit: 10, windowMs: 60_000 },
				],
			},
			{ role: "admin", route: undefined, windows: [{ name: "minute", limit: 600, windowMs: 60_000 }] },
			{ role: "admin", route: "POST /v1/chat", windows: [] },
		]);
		expect(parseRateLimitRules("GET /v1/search=100/10min, 1000/d")[0]?.windows).toEqual([
			{ name: "600s", limit: 100, windowMs: 600_000 },
			{ name: "day", limit: 1000, windowMs: 86_400_000 },
		]);
	});

	it.each([
		["no windows", "POST /v1/chat"],
		["a bad unit", "POST /v1/chat=5/fortnight"],
		["a zero limit", "POST /v1/chat=0/s"],
		["no selector", "=5/s"],
		["a lower-case method", "post /v1/chat=5/s"],
		["an empty role", "role:=5/s"],
	])("refuses %s with a readable configuration error", (_name, text) => {
		expect(() => parseRateLimitRules(text)).toThrow();
		expect(() => loadConfig({}, { RATE_LIMITS: text })).toThrow(/RATE_LIMITS/);
	});

	it("chooses role and route, then route, then role, then the default", () => {
		const policy = createRateLimitPolicy({
			perMinute: 60,
			rules: parseRateLimitRules(
				"POST /v1/prompts=1/s; role:admin=600/min; role:admin POST /v1/prompts=5/s; POST /v1/chat=off",
			),
		});
		expect(policy.windowsFor("POST /v1/prompts", ["user", "admin"])).toEqual([
			{ name: "second", limit: 5, windowMs: 1000 },
		]);
		expect(policy.windowsFor("POST /v1/prompts", ["user"])).toEqual([{ name: "second", limit: 1, windowMs: 1000 }]);
		expect(policy.windowsFor("GET /v1/models", ["admin"])).toEqual([{ name: "minute", limit: 600, windowMs: 60_000 }]);
		expect(policy.windowsFor("GET /v1/models", ["user"])).toEqual([{ name: "minute", limit: 60, windowMs: 60_000 }]);
		expect(policy.windowsFor("POST /v1/chat", ["user"])).toEqual([]);
		expect(createRateLimitPolicy({ perMinute: 0, rules: [] }).windowsFor("GET /v1/models", [])).toEqual([]);
	});

	it("the built-in rule limits prompts to 1/s and 10/min, and RATE_LIMITS overrides it", () => {
		const builtIn = loadConfig({}, {}).rateLimits.rules;
		expect(createRateLimitPolicy({ perMinute: 60, rules: builtIn }).windowsFor("POST /v1/prompts", [])).toEqual([
			{ name: "second", limit: 1, windowMs: 1000 },
			{ name: "minute", limit: 10, windowMs: 60_000 },
		]);
		const overridden = loadConfig({}, { RATE_LIMITS: "POST /v1/prompts=3/s" }).rateLimits.rules;
		expect(createRateLimitPolicy({ perMinute: 60, rules: overridden }).windowsFor("POST /v1/prompts", [])).toEqual([
			{ name: "second", limit: 3, windowMs: 1000 },
		]);
	});
});
