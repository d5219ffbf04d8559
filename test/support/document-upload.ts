import { readFile } from "node:fs/promises";
import type { ApiResponse } from "./http-client.js";

export interface UploadFile {
	bytes: Uint8Array | string;
	fileName: string;
	/** The part's Content-Type; the Blob default (none) when absent. */
	type?: string | undefined;
}

/** Sends a multipart/form-data upload to POST /v1/documents the way browsers and SDKs do (fetch + FormData). */
export async function uploadDocument(
	baseUrl: string,
	token: string | undefined,
	file: UploadFile | UploadFile[] | undefined,
	fields: Record<string, string> = {},
	path = "/v1/documents",
): Promise<ApiResponse> {
	const form = new FormData();
	for (const [name, value] of Object.entries(fields)) form.append(name, value);
	for (const item of file === undefined ? [] : Array.isArray(file) ? file : [file]) {
		const bytes = typeof item.bytes === "string" ? new TextEncoder().encode(item.bytes) : item.bytes;
		form.append(
			"file",
			new Blob([bytes as Uint8Array<ArrayBuffer>], item.type ? { type: item.type } : {}),
			item.fileName,
		);
	}
	const response = await fetch(`${baseUrl}${path}`, {
		method: "POST",
		headers: token ? { authorization: `Bearer ${token}` } : {},
		body: form,
	});
	const text = await response.text();
	const body = (response.headers.get("content-type") ?? "").includes("json") && text !== "" ? JSON.parse(text) : text;
	return { status: response.status, headers: response.headers, body, text };
}

export const documentFixture = async (name: string): Promise<Uint8Array> =>
	new Uint8Array(await readFile(`test/fixtures/documents/${name}`));
