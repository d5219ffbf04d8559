import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import { AppError, errorCatalogue } from "../errors.js";
import { ConversationMissingError, InvalidCursorError } from "../store/store-port.js";
import { problemContentType, problemType, sendProblem } from "./problem.js";

interface ValidationIssue {
	location: string;
	path: string;
	message: string;
}

/**
 * The one place errors become responses: every 4xx/5xx leaves as RFC 9457 problem+json with a
 * stable `code` and the request id. Unknown errors are logged with their stack and answered with
 * a generic 500 that reveals nothing.
 */
export function registerErrorHandling(app: FastifyInstance): void {
	app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
		const appError = toAppError(error, request);
		if (appError.status >= 500) {
			request.log.error({ err: error, code: appError.code }, "request failed");
		}
		return sendProblem(reply, appError);
	});

	app.setNotFoundHandler((request, reply) =>
		sendProblem(reply, new AppError("route_not_found", { detail: `${request.method} ${request.url.split("?")[0]}` })),
	);
}

/**
 * Requests Node's HTTP parser refuses (a line break inside a header, a broken request line) never
 * reach a route; they still get a problem document, and the connection is closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
	if (socket.destroyed || !socket.writable) return;
	const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
	const code = tooLarge ? "payload_too_large" : "malformed_request";
	const definition = errorCatalogue[code];
	const body = JSON.stringify({
		type: problemType(code),
		title: definition.title,
		status: definition.status,
		code,
		detail: tooLarge ? "the request headers are too large" : "the request could not be parsed as HTTP/1.1",
	});
	socket.end(
		`HTTP/1.1 ${definition.status} ${STATUS_CODES[definition.status]}\r\n` +
			`content-type: ${problemContentType}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
	);
}

/** Any thrown value as the AppError the client will see. */
export function toAppError(error: FastifyError, request: FastifyRequest): AppError {
	if (error instanceof AppError) return error;
	if (error instanceof InvalidCursorError) return new AppError("invalid_cursor");
	if (error instanceof ConversationMissingError) return new AppError("not_found", { detail: "conversation not found" });
	if (hasZodFastifySchemaValidationErrors(error)) {
		const location = (error as FastifyError & { validationContext?: string }).validationContext ?? "body";
		const issues: ValidationIssue[] = error.validation.map((issue) => ({
			location,
			path: issue.instancePath.replace(/^\//, "").replaceAll("/", ".") || "(root)",
			message: describeIssue(issue.keyword, issue.message ?? "is not valid", issue.params),
		}));
		return new AppError("validation_failed", {
			detail: issues
				.map((issue) => `${issue.location}${issue.path === "(root)" ? "" : `.${issue.path}`}: ${issue.message}`)
				.join("; "),
			extensions: { errors: issues },
		});
	}
	if (isResponseSerializationError(error)) {
		request.log.error({ issues: error.cause.issues }, "response did not match its schema");
		return new AppError("internal_error");
	}
	switch (error.code) {
		case "FST_ERR_CTP_BODY_TOO_LARGE":
			return new AppError("payload_too_large");
		case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
		case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
			return new AppError("unsupported_media_type", {
				detail: `unsupported Content-Type '${request.headers["content-type"] ?? ""}'`,
			});
		case "FST_ERR_CTP_EMPTY_JSON_BODY":
			return new AppError("invalid_json", { detail: "the body is empty; send a JSON object" });
		case "FST_ERR_CTP_INVALID_JSON_BODY":
			return new AppError("invalid_json");
		case "FST_ERR_VALIDATION":
			return new AppError("validation_failed", { detail: error.message });
	}
	if (error instanceof SyntaxError && error.statusCode === 400) return new AppError("invalid_json");
	if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
		// Other client errors raised by Fastify or plugins keep their status under a generic code.
		return new AppError(error.statusCode === 405 ? "method_not_allowed" : "validation_failed", {
			detail: error.message,
		});
	}
	return new AppError("internal_error", { cause: error });
}

function describeIssue(keyword: string, message: string, params: Record<string, unknown>): string {
	if (keyword === "unrecognized_keys" && Array.isArray(params.keys)) {
		return `unknown field${params.keys.length > 1 ? "s" : ""} ${params.keys.map((key) => `'${key}'`).join(", ")}`;
	}
	return message;
}
