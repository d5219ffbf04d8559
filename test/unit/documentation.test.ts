import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

/** Every variable config.ts reads is in README's table and in .env.example. */
describe("configuration documentation", () => {
	it("lists every environment variable", async () => {
		const source = await readFile("src/config.ts", "utf8");
		const schema = source.slice(
			source.indexOf("const environmentSchema"),
			source.indexOf("export type EnvironmentInput"),
		);
		const variables = [...schema.matchAll(/^\t([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1] as string);
		expect(variables.length).toBeGreaterThan(40);
		const readme = await readFile("README.md", "utf8");
		const example = await readFile(".env.example", "utf8");
		for (const variable of variables) {
			expect(readme, `README lacks ${variable}`).toContain(`\`${variable}\``);
			expect(example, `.env.example lacks ${variable}`).toMatch(new RegExp(`^#? ?${variable}=`, "m"));
		}
	});
});
