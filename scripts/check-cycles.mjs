#!/usr/bin/env node
// Fails when src/ has an import cycle. madge lives in tools/madge with its own TypeScript 5
// (its parser needs TypeScript 5's JS API; the project compiles with TypeScript 7), installed
// on first use from its lockfile.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const toolDirectory = `${root}tools/madge`;
const madge = `${toolDirectory}/node_modules/madge/bin/cli.js`;

const run = (command, args, options = {}) => {
	const result = spawnSync(command, args, { stdio: "inherit", ...options });
	if (result.status !== 0) process.exit(result.status ?? 1);
};

if (!existsSync(madge)) {
	run("npm", ["ci", "--silent", "--no-audit", "--no-fund"], { cwd: toolDirectory });
}
run(process.execPath, [madge, "--circular", "--no-spinner", "--extensions", "ts", "src"], { cwd: root });
