import type { FastifyReply, FastifyRequest } from "fastify";
import { AppError, type ErrorCode } from "../errors.js";

export const problemContentType = "application/problem+json; charset=utf-8";

export interface ProblemDocument {
	type: string;
	title: string;
	status: number;
	detail?: string;
	code: ErrorCode;
	request_id: string;
	instance?: string;
	[extension: string]: unknown;
}

/** `type` is a stable URI per code; the README and /docs list every code. */
export const problemType = (code: ErrorCode) => `https://parley.dev/problems/${code.replaceAll("_", "-")}`;

export function toProblem(error: AppError, request: FastifyRequest): ProblemDocument {
	const problem: ProblemDocument = {
		type: problemType(error.code),
		title: error.title,
		status: error.status,
		code: error.code,
		request_id: request.id,
		instance: request.url.split("?")[0],
	};
	if (error.detail !== undefined) problem.detail = error.detail;
	if (error.extensions) Object.assign(problem, error.extensions);
	// The OpenAI-compatible routes also carry OpenAI's error object, which the OpenAI SDKs read.
	if (request.routeOptions.config?.openAiErrors) {
		problem.error = {
			message: error.detail ?? error.title,
			type: openAiErrorType(error.status),
			code: error.code,
			param: null,
		};
	}
	return problem;
}

function openAiErrorType(status: number): string {
	if (status === 401) return "authentication_error";
	if (status === 403) return "permission_error";
	if (status === 404) return "not_found_error";
	if (status === 429) return "rate_limit_error";
	if (status >= 500) return "api_error";
	return "invalid_request_error";
}

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
	if (error.headers) reply.headers(error.headers);
	if (error.status === 401 && !reply.hasHeader("www-authenticate")) {
		const description =
			error.code === "authentication_required" ? "" : `, error="invalid_token", error_description="${error.title}"`;
		reply.header("www-authenticate", `Bearer realm="parley"${description}`);
	}
	return reply
		.code(error.status)
		.type(problemContentType)
		.serializer(JSON.stringify)
		.send(toProblem(error, reply.request));
}

/** For transports that write raw frames (SSE) once headers are gone. */
export function problemFor(code: ErrorCode, request: FastifyRequest, detail?: string): ProblemDocument {
	return toProblem(new AppError(code, detail === undefined ? {} : { detail }), request);
}
