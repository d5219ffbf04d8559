#!/usr/bin/env node
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.js";
import { migrateCommand } from "./migrate-command.js";
import { tokenCommand } from "./token-command.js";

const usage = `Usage: parley <command> [options]

Commands:
  token --email <email> [--username <name>] [--role <role>]…   print a valid access token for that user
                                                             (created when missing, like a development login)
  migrate                                                    apply pending database migrations

Configuration comes from the same environment variables as the server (see README).`;

async function main(argv: string[]): Promise<number> {
	const [command, ...rest] = argv;
	if (!command || command === "help" || command === "--help" || command === "-h") {
		console.error(usage);
		return command ? 0 : 64;
	}
	const config = loadConfig();
	switch (command) {
		case "token": {
			const { values } = parseArgs({
				args: rest,
				options: { email: { type: "string" }, username: { type: "string" }, role: { type: "string", multiple: true } },
				strict: true,
			});
			if (!values.email && !values.username) {
				console.error("parley token: give --email or --username");
				return 64;
			}
			process.stdout.write(
				`${await tokenCommand(config, { email: values.email, username: values.username, roles: values.role ?? [] })}\n`,
			);
			return 0;
		}
		case "migrate":
			parseArgs({ args: rest, options: {}, strict: true });
			await migrateCommand(config);
			console.error("migrations applied");
			return 0;
		default:
			console.error(`parley: unknown command '${command}'\n\n${usage}`);
			return 64;
	}
}

main(process.argv.slice(2)).then(
	(code) => process.exit(code),
	(error: unknown) => {
		console.error(error instanceof ConfigError || error instanceof TypeError ? error.message : error);
		process.exit(error instanceof ConfigError ? 78 : 1);
	},
);
