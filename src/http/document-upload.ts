import type { Multipart } from "@fastify/multipart";
import type { FastifyRequest } from "fastify";
import { AppError, isAppError } from "../errors.js";
import type { UploadedFile } from "./schemas/document-schemas.js";

/**
 * Reads a multipart/form-data document upload into a plain object — `file` as bytes with its
 * name and declared type, the other fields as strings — that the route's schema then validates
 * like any JSON body. Every multipart failure becomes a clear 4xx: 413 past the size limits, 400
 * for a malformed form.
 */

/** Room for the form's boundaries, part headers and small fields next to the file itself. */
export const formOverheadBytes = 256 * 1024;
const maximumFieldBytes = 64 * 1024;

export async function readDocumentForm(
	request: FastifyRequest,
	maximumFileBytes: number,
): Promise<Record<string, unknown>> {
	const declaredLength = Number(request.headers["content-length"]);
	if (declaredLength > maximumFileBytes + formOverheadBytes) throw documentTooLarge(maximumFileBytes);
	const body: Record<string, unknown> = {};
	try {
		const parts = request.parts({
			limits: { fileSize: maximumFileBytes, files: 1, fields: 20, parts: 21, fieldSize: maximumFieldBytes },
		});
		for await (const part of parts) {
			if (Object.hasOwn(body, part.fieldname)) {
				throw new AppError("validation_failed", { detail: `body.${part.fieldname}: sent more than once` });
			}
			const value = await partValue(part);
			if (value !== undefined) body[part.fieldname] = value;
		}
	} catch (error) {
		discardRest(request);
		throw uploadError(error, maximumFileBytes);
	}
	return body;
}

async function partValue(part: Multipart): Promise<unknown> {
	if (part.type === "file") {
		const buffer = await part.toBuffer();
		return {
			fileName: part.filename,
			mediaType: part.mimetype,
			bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength),
		} satisfies UploadedFile;
	}
	if (part.valueTruncated) {
		throw new AppError("payload_too_large", {
			detail: `the form field '${part.fieldname}' is larger than ${maximumFieldBytes} bytes`,
		});
	}
	if (part.fieldname === "file") {
		throw new AppError("validation_failed", {
			detail: "body.file: send the document as a file (a part with a filename), not as a text field",
		});
	}
	// Browsers send untouched optional inputs as empty strings: they mean "not given".
	return part.value === "" ? undefined : part.value;
}

function uploadError(error: unknown, maximumFileBytes: number): AppError {
	if (isAppError(error)) return error;
	const code = (error as { code?: unknown }).code;
	switch (code) {
		case "FST_REQ_FILE_TOO_LARGE":
			return documentTooLarge(maximumFileBytes);
		case "FST_PARTS_LIMIT":
		case "FST_FIELDS_LIMIT":
			return new AppError("payload_too_large", { detail: "the form has too many fields" });
		case "FST_FILES_LIMIT":
			return new AppError("validation_failed", { detail: "body.file: send exactly one file per request" });
		case "FST_INVALID_JSON_FIELD_ERROR":
			return new AppError("validation_failed", { detail: "body.metadata: must be a JSON object" });
		case "FST_PROTO_VIOLATION":
			return new AppError("validation_failed", { detail: "a form field has a forbidden name" });
	}
	const message = error instanceof Error ? error.message : String(error);
	return new AppError("validation_failed", { detail: `the multipart/form-data body is malformed: ${message}` });
}

export function documentTooLarge(maximumFileBytes: number): AppError {
	return new AppError("payload_too_large", {
		detail: `documents may be at most ${maximumFileBytes} bytes (DOCUMENT_MAX_BYTES)`,
	});
}

/**
 * A refused upload may still be arriving. Reading and dropping the rest lets the client finish
 * sending and then read the answer: HTTP/1.1 clients such as fetch fail with EPIPE, never seeing
 * the 413, when the server closes while they write. Node's request timeout bounds the drain.
 */
function discardRest(request: FastifyRequest): void {
	request.raw.unpipe();
	request.raw.resume();
}
