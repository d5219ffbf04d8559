import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import cliProgress from "cli-progress";
import type { Principal } from "../auth/principal.js";
import type { Config } from "../config.js";
import { isAppError } from "../errors.js";
import type { DocumentService } from "../rag/document-service-types.js";
import { extractDocument } from "../rag/extraction/extract-document.js";
import { extensionOf, supportedExtensions } from "../rag/extraction/media-types.js";
import { operatorPrincipal } from "../rag/operator-principal.js";
import { createRuntime } from "../runtime.js";

/**
 * `parley ingest <files or folders…>`: extracts every supported file and adds it through the
 * same document service the API uses, so a document is indexed exactly as an upload would be.
 * Folders are walked recursively (hidden entries skipped); their files of other types are skipped
 * and listed, while a file named explicitly in a format Parley cannot read counts as a failure.
 */

export interface IngestOptions {
	paths: string[];
	collection?: string | undefined;
	/** The owner's email; created like a development account when missing. */
	userEmail?: string | undefined;
	/** Add to a shared collection, as an operator (admin) action. */
	shared: boolean;
}

export interface IngestSummary {
	ingested: Array<{ file: string; documentId: string; chunks: number }>;
	skipped: Array<{ file: string; reason: string }>;
	failed: Array<{ file: string; reason: string }>;
}

export class IngestUsageError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "IngestUsageError";
	}
}

export async function ingestCommand(config: Config, options: IngestOptions): Promise<IngestSummary> {
	if (options.shared && !options.collection) throw new IngestUsageError("--shared needs --collection <name>");
	if (!options.shared && !options.userEmail) {
		throw new IngestUsageError("give --user <email> (the documents' owner), or --shared --collection <name>");
	}
	const summary: IngestSummary = { ingested: [], skipped: [], failed: [] };
	const files = await collectFiles(options.paths, summary);

	// Logs go to stderr: stdout carries the summary.
	const runtime = await createRuntime(config, { logDestination: process.stderr });
	try {
		const { documents, users } = runtime.dependencies;
		const owner = options.userEmail
			? await users.findOrCreateDevUser({ email: options.userEmail.toLowerCase() })
			: await users.serviceAccount();
		const principal = operatorPrincipal(owner, { admin: options.shared });
		if (options.collection) await prepareCollection(documents, principal, options.collection, options.shared);

		const progress = new cliProgress.SingleBar(
			{ stream: process.stderr, format: "Ingesting |{bar}| {value}/{total} files {file}", hideCursor: true },
			cliProgress.Presets.shades_classic,
		);
		progress.start(files.length, 0, { file: "" });
		for (const file of files) {
			progress.update({ file: path.basename(file) });
			await ingestFile(file, { documents, principal, collection: options.collection, config }, summary);
			progress.increment();
		}
		progress.stop();
	} finally {
		await runtime.close();
	}
	return summary;
}

async function ingestFile(
	file: string,
	context: { documents: DocumentService; principal: Principal; collection: string | undefined; config: Config },
	summary: IngestSummary,
): Promise<void> {
	try {
		const size = (await stat(file)).size;
		if (size > context.config.documents.maxBytes) {
			summary.failed.push({
				file,
				reason: `larger than DOCUMENT_MAX_BYTES (${size} > ${context.config.documents.maxBytes} bytes)`,
			});
			return;
		}
		const bytes = new Uint8Array(await readFile(file));
		const extracted = await extractDocument({ bytes, fileName: path.basename(file) });
		const record = await context.documents.ingest(context.principal, {
			title: extracted.title,
			text: extracted.text,
			collection: context.collection,
			sourceName: path.basename(file),
			mediaType: extracted.mediaType,
		});
		summary.ingested.push({ file, documentId: record.id, chunks: record.chunkCount });
	} catch (error) {
		summary.failed.push({ file, reason: describe(error) });
	}
}

/** Makes sure the collection exists with the right visibility before any file is read. */
async function prepareCollection(
	documents: DocumentService,
	principal: Principal,
	name: string,
	shared: boolean,
): Promise<void> {
	const visible = await documents.collections(principal);
	const sharedOne = visible.find((collection) => collection.shared && collection.name === name);
	const privateOne = visible.find((collection) => !collection.shared && collection.name === name);
	if (shared) {
		if (sharedOne) return;
		if (privateOne) {
			throw new IngestUsageError(`collection '${name}' is a private collection; --shared needs a shared one`);
		}
		await documents.createCollection(principal, { name, shared: true });
		return;
	}
	if (privateOne) return;
	if (sharedOne) throw new IngestUsageError(`collection '${name}' is shared; add --shared to write to it`);
	await documents.createCollection(principal, { name, shared: false });
}

/** The files to ingest, in a stable order; paths that do not exist are recorded as failures. */
export async function collectFiles(paths: readonly string[], summary: IngestSummary): Promise<string[]> {
	const files: string[] = [];
	const seen = new Set<string>();
	const add = (file: string) => {
		const resolved = path.resolve(file);
		if (seen.has(resolved)) return;
		seen.add(resolved);
		files.push(file);
	};
	const walk = async (directory: string): Promise<void> => {
		const entries = await readdir(directory, { withFileTypes: true });
		entries.sort((left, right) => left.name.localeCompare(right.name));
		for (const entry of entries) {
			if (entry.name.startsWith(".")) continue;
			const full = path.join(directory, entry.name);
			if (entry.isDirectory()) await walk(full);
			else if (!entry.isFile()) continue;
			else if (supportedExtensions.includes(extensionOf(entry.name))) add(full);
			else summary.skipped.push({ file: full, reason: `unsupported file type '${extensionOf(entry.name) || "none"}'` });
		}
	};
	for (const given of paths) {
		const details = await stat(given).catch(() => undefined);
		if (details === undefined) summary.failed.push({ file: given, reason: "no such file or folder" });
		else if (details.isDirectory()) await walk(given);
		else add(given);
	}
	return files;
}

function describe(error: unknown): string {
	if (isAppError(error)) return `${error.code}: ${error.detail ?? error.title}`;
	return error instanceof Error ? error.message : String(error);
}

/** The summary as printed on stdout. */
export function formatSummary(summary: IngestSummary, collection: string | undefined): string {
	const chunks = summary.ingested.reduce((total, item) => total + item.chunks, 0);
	const attempted = summary.ingested.length + summary.failed.length;
	const lines = [
		`Ingested ${summary.ingested.length} of ${attempted} file${attempted === 1 ? "" : "s"} into ` +
			`${collection ? `'${collection}'` : "the default collection"}: ${chunks} chunk${chunks === 1 ? "" : "s"}.`,
	];
	for (const item of summary.ingested)
		lines.push(`  ok       ${item.file} (${item.chunks} chunk${item.chunks === 1 ? "" : "s"}, ${item.documentId})`);
	for (const item of summary.skipped) lines.push(`  skipped  ${item.file}: ${item.reason}`);
	for (const item of summary.failed) lines.push(`  failed   ${item.file}: ${item.reason}`);
	if (summary.skipped.length > 0) lines.push(`Skipped ${summary.skipped.length}.`);
	if (summary.failed.length > 0) lines.push(`Failed ${summary.failed.length}.`);
	return lines.join("\n");
}
