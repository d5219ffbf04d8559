import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("configuration", () => {
	it("defaults to the embedded mode", () => {
		const config = loadConfig({});
		expect(config.port).toBe(8000);
		expect(config.databaseUrl).toMatch(/^sqlite:.*data\/parley\.db$/);
		expect(config.llm.provider).toBe("mock");
		expect(config.llm.defaultModel).toBe("mock/parley-mock-1");
		expect(config.auth.devLogin).toBe(true);
		expect(config.host).toBe("127.0.0.1");
	});

	it("chooses the question queue from REDIS_URL unless QUEUE_BACKEND says", () => {
		expect(loadConfig({}).queue).toMatchObject({ backend: "embedded", workerInProcess: true });
		expect(loadConfig({ REDIS_URL: "redis://127.0.0.1:6379" }).queue).toMatchObject({
			backend: "bullmq",
			workerInProcess: false,
		});
		expect(loadConfig({ REDIS_URL: "redis://127.0.0.1:6379", WORKER_IN_PROCESS: "true" }).queue.workerInProcess).toBe(
			true,
		);
		expect(loadConfig({ REDIS_URL: "redis://127.0.0.1:6379", QUEUE_BACKEND: "embedded" }).queue.backend).toBe(
			"embedded",
		);
		expect(() => loadConfig({ QUEUE_BACKEND: "bullmq" })).toThrow(/QUEUE_BACKEND: bullmq needs REDIS_URL/);
		expect(() => loadConfig({ QUESTION_MAX_ATTEMPTS: "0" })).toThrow(ConfigError);
	});

	it("detects the provider from whichever key is set", () => {
		expect(loadConfig({ OPENROUTER_API_KEY: "sk-or" }).llm.provider).toBe("openrouter");
		expect(loadConfig({ GEMINI_API_KEY: "g" }).llm.provider).toBe("gemini");
		expect(loadConfig({ ANTHROPIC_API_KEY: "a" }).llm.provider).toBe("anthropic");
		expect(loadConfig({ OPENAI_API_KEY: "o" }).llm.defaultModel).toBe("openai/gpt-4o-mini");
		expect(loadConfig({ OPENAI_COMPATIBLE_BASE_URL: "http://127.0.0.1:11434/v1" }).llm.provider).toBe(
			"openai-compatible",
		);
		expect(loadConfig({ OPENAI_API_KEY: "o", LLM_PROVIDER: "mock" }).llm.provider).toBe("mock");
	});

	it("lists every bad variable in one readable error", () => {
		try {
			loadConfig({ PORT: "eighty", LLM_PROVIDER: "skynet", AUTH_DEV_LOGIN: "maybe", OPENAI_BASE_URL: "not a url" });
			expect.unreachable();
		} catch (error) {
			expect(error).toBeInstanceOf(ConfigError);
			const message = (error as ConfigError).message;
			for (const name of ["PORT", "LLM_PROVIDER", "AUTH_DEV_LOGIN", "OPENAI_BASE_URL"]) expect(message).toContain(name);
			expect((error as ConfigError).problems).toHaveLength(4);
		}
	});

	it("refuses unsafe settings in production", () => {
		expect(() =>
			loadConfig({
				NODE_ENV: "production",
				AUTH_DEV_LOGIN: "true",
				DATA_DIR: "/var/lib/parley",
				PUBLIC_URL: "https://x.example",
			}),
		).toThrow(/AUTH_DEV_LOGIN/);
		expect(() => loadConfig({ NODE_ENV: "production", PUBLIC_URL: "https://x.example" })).toThrow(/AUTH_SIGNING_KEY/);
		expect(() =>
			loadConfig({
				NODE_ENV: "production",
				DATA_DIR: "/var/lib/parley",
				PUBLIC_URL: "https://x.example",
				CORS_ORIGINS: "*",
				CORS_CREDENTIALS: "true",
			}),
		).toThrow(/CORS_ORIGINS/);
		const production = loadConfig({
			NODE_ENV: "production",
			DATA_DIR: "/var/lib/parley",
			PUBLIC_URL: "https://x.example",
		});
		expect(production.auth.devLogin).toBe(false);
		expect(production.host).toBe("0.0.0.0");
	});
});
