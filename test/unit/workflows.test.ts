import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/** GitHub workflows: pinned actions, least permissions, OIDC for AWS. (GitHub itself cannot be reached from here.) */

interface Workflow {
	on: Record<string, unknown>;
	permissions?: Record<string, string>;
	jobs: Record<
		string,
		{
			permissions?: Record<string, string>;
			steps: Array<{ uses?: string; run?: string; with?: Record<string, unknown> }>;
			services?: Record<string, unknown>;
		}
	>;
}

const load = async (name: string) => parse(await readFile(`.github/workflows/${name}`, "utf8")) as Workflow;

describe("GitHub workflows", async () => {
	const ci = await load("ci.yml");
	const deploy = await load("deploy.yml");

	it("pins every action to a full commit SHA, with the version as a comment", async () => {
		for (const name of ["ci.yml", "deploy.yml"]) {
			const text = await readFile(`.github/workflows/${name}`, "utf8");
			const uses = [...text.matchAll(/uses:\s*(\S+)(.*)$/gm)];
			expect(uses.length).toBeGreaterThan(0);
			for (const [, reference, comment] of uses) {
				expect(reference).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
				expect(comment).toMatch(/# v\d+\.\d+\.\d+/);
			}
		}
	});

	it("reads the repository only, except the deploy job's OIDC token", () => {
		expect(ci.permissions).toEqual({ contents: "read" });
		expect(deploy.permissions).toEqual({ contents: "read" });
		expect(deploy.jobs.deploy?.permissions).toEqual({ contents: "read", "id-token": "write" });
		for (const job of Object.values(ci.jobs)) expect(job.permissions).toBeUndefined();
	});

	it("tests with PostgreSQL and Redis services, lints and synthesizes, as .ci/run does", () => {
		const job = ci.jobs.test!;
		expect(Object.keys(job.services ?? {})).toEqual(["postgres", "redis"]);
		const commands = job.steps.map((step) => step.run).filter(Boolean);
		expect(commands).toEqual(expect.arrayContaining(["npm ci", "npm run check", "npm test", "npm run synth"]));
	});

	it("deploys through an assumed role (OIDC), never stored AWS keys", async () => {
		const text = await readFile(".github/workflows/deploy.yml", "utf8");
		expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/i);
		const credentials = deploy.jobs.deploy!.steps.find((step) => step.uses?.startsWith("aws-actions/"));
		expect(credentials?.with?.["role-to-assume"]).toBeDefined();
		expect(deploy.jobs.deploy!.steps.at(-1)?.run).toBe("npm run deploy:aws");
	});
});
