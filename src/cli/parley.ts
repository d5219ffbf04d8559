#!/usr/bin/env node
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.js";
import { formatSummary, IngestUsageError, ingestCommand } from "./ingest-command.js";
import { migrateCommand } from "./migrate-command.js";
import { reindexCommand } from "./reindex-command.js";
import { formatRotation, rotateMasterKeyCommand } from "./rotate-master-key-command.js";
import { tokenCommand } from "./token-command.js";
import { workerCommand } from "./worker-command.js";

const usage = `Usage: parley <command> [options]

Commands:
  token --email <email> [--username <name>] [--role <role>]…   print a valid access token for that user
                                                             (created when missing, like a development login)
  migrate                                                    apply pending database migrations
  reindex                                                    re-embed every document with the configured embedder
                                                             (after changing EMBEDDER, EMBEDDING_MODEL or _DIMENSIONS)
  rotate-master-key                                          re-wrap stored provider keys and webhook secrets under
                                                             the current master key (PARLEY_MASTER_KEY; without it a
                                                             new key is generated into DATA_DIR first)
  worker [--concurrency <n>]                                 answer queued questions (QUEUE_BACKEND); serves only
                                                             /v1/health, /v1/ready and /metrics on PORT
  ingest <files or folders…> [--collection <name>] [--user <email>] [--shared]
                                                             add documents (.txt .md .html .pdf .json .csv) to a
                                                             user's collection, or with --shared to a shared one

Configuration comes from the same environment variables as the server (see README).`;

async function main(argv: string[]): Promise<number> {
	const [command, ...rest] = argv;
	if (!command || command === "help" || command === "--help" || command === "-h") {
		console.error(usage);
		return command ? 0 : 64;
	}
	const config = loadConfig();
	switch (command) {
		case "worker": {
			const { values } = parseArgs({ args: rest, options: { concurrency: { type: "string" } }, strict: true });
			const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
			if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)) {
				console.error("parley worker: --concurrency must be an integer from 1 to 256");
				return 64;
			}
			return workerCommand(concurrency === undefined ? config : { ...config, queue: { ...config.queue, concurrency } });
		}
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
		case "reindex": {
			parseArgs({ args: rest, options: {}, strict: true });
			const result = await reindexCommand(config);
			const dropped = result.droppedSpaces.length > 0 ? `; dropped ${result.droppedSpaces.join(", ")}` : "";
			console.error(
				`re-indexed ${result.documentsMoved} documents (${result.chunksEmbedded} chunks) into ${result.embedderId}${dropped}`,
			);
			return 0;
		}
		case "rotate-master-key": {
			parseArgs({ args: rest, options: {}, strict: true });
			const result = await rotateMasterKeyCommand(config);
			process.stdout.write(`${formatRotation(result)}\n`);
			return result.unreadable.length > 0 || result.webhooks.unreadable.length > 0 ? 1 : 0;
		}
		case "ingest": {
			const { values, positionals } = parseArgs({
				args: rest,
				options: { collection: { type: "string" }, user: { type: "string" }, shared: { type: "boolean" } },
				allowPositionals: true,
				strict: true,
			});
			if (positionals.length === 0) {
				console.error("parley ingest: give at least one file or folder");
				return 64;
			}
			const options = { paths: positionals, collection: values.collection, userEmail: values.user };
			const summary = await ingestCommand(config, { ...options, shared: values.shared ?? false }).catch(
				(error: unknown) => {
					if (!(error instanceof IngestUsageError)) throw error;
					console.error(`parley ingest: ${error.message}`);
					return undefined;
				},
			);
			if (summary === undefined) return 64;
			process.stdout.write(`${formatSummary(summary, values.collection)}\n`);
			return summary.failed.length > 0 || summary.ingested.length === 0 ? 1 : 0;
		}
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
