import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { errorCatalogue } from "../../src/errors.js";

async function sourceFiles(directory: string): Promise<string[]> {
	const entries = await readdir(directory, { withFileTypes: true });
	const nested = await Promise.all(
		entries.map((entry) => {
			const full = path.join(directory, entry.name);
			return entry.isDirectory() ? sourceFiles(full) : Promise.resolve(full.endsWith(".ts") ? [full] : []);
		}),
	);
	return nested.flat();
}

describe("error catalogue", () => {
	it("lists every code the source raises", async () => {
		const used = new Set<string>();
		for (const file of await sourceFiles(path.resolve("src"))) {
			const text = await readFile(file, "utf8");
			for (const match of text.matchAll(/new AppError\(\s*"([a-z_]+)"/g)) used.add(match[1] as string);
		}
		expect(used.size).toBeGreaterThan(10);
		for (const code of used) expect(Object.keys(errorCatalogue)).toContain(code);
	});

	it("is documented in the README", async () => {
		const readme = await readFile(path.resolve("README.md"), "utf8");
		for (const code of Object.keys(errorCatalogue)) expect(readme).toContain(`\`${code}\``);
	});

	it("gives every code a 4xx or 5xx status and a title", () => {
		for (const definition of Object.values(errorCatalogue)) {
			expect(definition.status).toBeGreaterThanOrEqual(400);
			expect(definition.status).toBeLessThan(600);
			expect(definition.title.length).toBeGreaterThan(5);
		}
	});
});
