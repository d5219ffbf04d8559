import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config.js";

// No Docker engine here: these checks keep docker-compose.yml and the Dockerfile coherent with
// config.ts (every variable they set exists and the set loads in production) and the CLI (every
// command they run exists).

interface ComposeService {
	build?: unknown;
	image?: string;
	command?: string[];
	environment?: Record<string, string | number | boolean>;
	depends_on?: Record<string, unknown>;
}

async function configVariables(): Promise<string[]> {
	const source = await readFile("src/config.ts", "utf8");
	const schema = source.slice(
		source.indexOf("const environmentSchema"),
		source.indexOf("export type EnvironmentInput"),
	);
	return [...schema.matchAll(/^\t([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1] as string);
}

/** What Compose would substitute, with the values an operator would give to required variables. */
function interpolate(value: string, given: Record<string, string>): string {
	return value.replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_match, name: string, kind?: string, rest?: string) => {
		if (given[name] !== undefined) return given[name];
		if (kind === "-") return rest ?? "";
		throw new Error(`\${${name}} has no default and was not given`);
	});
}

/** `node dist/x.js …` → the TypeScript source that compiles to it. */
const sourceOf = (distPath: string) => distPath.replace(/^dist\//, "src/").replace(/\.js$/, ".ts");

describe("deployment files", async () => {
	const compose = parse(await readFile("docker-compose.yml", "utf8"), { merge: true }) as {
		services: Record<string, ComposeService>;
	};
	const parleyServices = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);

	it("runs two API processes, a worker, PostgreSQL with pgvector and Redis", () => {
		const commands = parleyServices.map(([, service]) => service.command?.join(" "));
		expect(commands.filter((command) => command === "node dist/server.js")).toHaveLength(2);
		expect(commands).toContain("node dist/cli/parley.js worker");
		expect(compose.services.postgres?.image).toBe("pgvector/pgvector:pg17");
		expect(compose.services.redis?.image).toMatch(/^redis:/);
		for (const [name, service] of Object.entries(compose.services)) {
			for (const dependency of Object.keys(service.depends_on ?? {})) {
				expect(compose.services, `${name} depends on ${dependency}`).toHaveProperty(dependency);
			}
		}
	});

	it("sets only variables config.ts reads, and they load as a valid production configuration", async () => {
		const known = new Set(await configVariables());
		const given = { PARLEY_MASTER_KEY: randomBytes(32).toString("base64") };
		for (const [name, service] of parleyServices) {
			const environment = Object.fromEntries(
				Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), given)]),
			);
			for (const variable of Object.keys(environment)) {
				expect(known.has(variable), `${name} sets ${variable}, which config.ts does not read`).toBe(true);
			}
			const config = loadConfig(environment);
			expect(config.redis?.url).toBe("redis://redis:6379");
			expect(config.databaseUrl).toMatch(/^postgres:\/\/parley:[^@]+@postgres:5432\/parley$/);
			expect(config.queue.backend).toBe("bullmq");
			expect(config.dataDirectory).toBe("/data");
		}
	});

	it("runs commands that exist: the server and the worker subcommand of the CLI", async () => {
		const cli = await readFile("src/cli/parley.ts", "utf8");
		for (const [name, service] of parleyServices) {
			const [program, script, subcommand] = service.command ?? [];
			expect(program, name).toBe("node");
			expect(existsSync(sourceOf(script ?? "")), `${name} runs ${script}`).toBe(true);
			if (subcommand !== undefined) expect(cli, `${name} runs parley ${subcommand}`).toContain(`case "${subcommand}":`);
		}
		const packageJson = JSON.parse(await readFile("package.json", "utf8")) as { bin: Record<string, string> };
		expect(packageJson.bin.parley).toBe("dist/cli/parley.js");
		const build = JSON.parse(await readFile("tsconfig.build.json", "utf8")) as {
			compilerOptions: Record<string, string>;
		};
		expect(build.compilerOptions).toMatchObject({ rootDir: "src", outDir: "dist" });
	});

	it("builds a multi-stage, non-root image that starts the server and checks /v1/health", async () => {
		const dockerfile = await readFile("Dockerfile", "utf8");
		expect(dockerfile.match(/^FROM node:22-slim AS \w+$/gm)).toHaveLength(2);
		expect(dockerfile).toMatch(/^RUN npm ci && npm prune --omit=dev$/m);
		expect(dockerfile).toMatch(/^USER node$/m);
		expect(dockerfile).toMatch(/^CMD \["node", "dist\/server\.js"\]$/m);
		expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/v1\/health/m);
		for (const copied of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
			for (const path of (copied[1] ?? "").split(" ")) expect(existsSync(path), `COPY ${path}`).toBe(true);
		}
		const readme = await readFile("README.md", "utf8");
		expect(readme).toContain("## Deploy with Docker Compose");
	});

	it("builds the Lambda image variant on Amazon Linux, for handlers that exist", async () => {
		const dockerfile = await readFile("Dockerfile", "utf8");
		expect(dockerfile).toMatch(/^FROM public\.ecr\.aws\/lambda\/nodejs:22 AS lambda-build$/m);
		expect(dockerfile).toMatch(/^FROM public\.ecr\.aws\/lambda\/nodejs:22 AS lambda$/m);
		const lambdaStage = dockerfile.slice(dockerfile.indexOf("AS lambda\n"));
		const command = /^CMD \["(dist\/lambda\/[\w-]+)\.handler"\]$/m.exec(lambdaStage)?.[1];
		expect(command).toBe("dist/lambda/http-handler");
		expect(existsSync(sourceOf(`${command}.js`))).toBe(true);
		expect(existsSync("src/lambda/sqs-worker-handler.ts")).toBe(true);
	});
});
