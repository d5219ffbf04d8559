/**
 * Every error Parley reports to a client is an AppError with a stable `code`.
 * The catalogue below is the single source of truth: the error handler, the
 * OpenAPI description and the README table are all derived from it, and a test
 * checks that every code thrown anywhere in `src/` is listed here.
 */

export interface ErrorDefinition {
	readonly status: number;
	readonly title: string;
	/** Whether the same request may succeed if simply sent again later. */
	readonly retryable: boolean;
}

export const errorCatalogue = {
	validation_failed: { status: 400, title: "The request is not valid", retryable: false },
	malformed_request: { status: 400, title: "The request is not valid HTTP", retryable: false },
	invalid_json: { status: 400, title: "The request body is not valid JSON", retryable: false },
	invalid_idempotency_key: { status: 400, title: "The Idempotency-Key header is not valid", retryable: false },
	invalid_cursor: { status: 400, title: "The pagination cursor is not valid", retryable: false },
	unknown_model: { status: 400, title: "The requested model is not available", retryable: false },
	context_length_exceeded: {
		status: 400,
		title: "The prompt does not fit the model's context window",
		retryable: false,
	},
	authentication_required: { status: 401, title: "Authentication is required", retryable: false },
	invalid_token: { status: 401, title: "The access token is not valid", retryable: false },
	token_expired: { status: 401, title: "The access token has expired", retryable: false },
	invalid_api_key: { status: 401, title: "The API key is not valid", retryable: false },
	api_key_required: { status: 401, title: "An API key is required", retryable: false },
	invalid_credentials: { status: 401, title: "Wrong email, username or password", retryable: false },
	invalid_refresh_token: { status: 401, title: "The refresh token is not valid", retryable: false },
	refresh_token_reused: {
		status: 401,
		title: "The refresh token was already used; its session has been revoked",
		retryable: false,
	},
	dev_login_disabled: { status: 403, title: "Password-less login is disabled", retryable: false },
	provider_key_required: {
		status: 403,
		title: "Store your own key for this model's provider first",
		retryable: false,
	},
	provider_key_rejected: {
		status: 400,
		title: "The model provider rejected your own API key",
		retryable: false,
	},
	provider_key_unreadable: {
		status: 409,
		title: "Your stored provider key cannot be decrypted; store it again",
		retryable: false,
	},
	webhook_target_refused: {
		status: 422,
		title:
			"The webhook URL points at an address Parley may not call (private, loopback, link-local) or does not resolve",
		retryable: false,
	},
	webhook_limit_reached: {
		status: 409,
		title: "You have as many webhooks as allowed; delete one first",
		retryable: false,
	},
	forbidden: { status: 403, title: "You may not do this", retryable: false },
	not_found: { status: 404, title: "The resource does not exist", retryable: false },
	route_not_found: { status: 404, title: "No such route", retryable: false },
	method_not_allowed: { status: 405, title: "Method not allowed on this route", retryable: false },
	idempotency_key_in_use: {
		status: 409,
		title: "A request with this Idempotency-Key is still being processed",
		retryable: true,
	},
	idempotency_key_reused: {
		status: 422,
		title: "This Idempotency-Key was already used with a different request",
		retryable: false,
	},
	email_taken: { status: 409, title: "This email is already registered", retryable: false },
	username_taken: { status: 409, title: "This username is already taken", retryable: false },
	payload_too_large: { status: 413, title: "The request body is too large", retryable: false },
	document_empty: { status: 422, title: "The document has no usable text", retryable: false },
	document_unreadable: {
		status: 422,
		title: "The document could not be read as its type says (corrupt or not text)",
		retryable: false,
	},
	unsupported_media_type: { status: 415, title: "Unsupported content type", retryable: false },
	rate_limited: { status: 429, title: "Too many requests; slow down", retryable: true },
	budget_exceeded: {
		status: 429,
		title: "A usage budget is used up until its window resets",
		retryable: true,
	},
	internal_error: { status: 500, title: "Internal server error", retryable: true },
	provider_error: { status: 502, title: "The model provider returned an error", retryable: true },
	provider_rejected: {
		status: 400,
		title: "The model provider rejected the request as invalid",
		retryable: false,
	},
	provider_unavailable: {
		status: 503,
		title: "The model provider is unavailable; its circuit is open",
		retryable: true,
	},
	rate_limit_unavailable: {
		status: 503,
		title: "Rate limits cannot be checked right now (their store is down)",
		retryable: true,
	},
	provider_overloaded: {
		status: 503,
		title: "The model provider is rate limiting or overloaded",
		retryable: true,
	},
	queue_unavailable: {
		status: 503,
		title: "The question queue cannot take jobs right now",
		retryable: true,
	},
	notifications_unavailable: {
		status: 503,
		title: "Live notifications cannot be delivered right now",
		retryable: true,
	},
	key_service_unavailable: {
		status: 503,
		title: "The key service that protects stored provider keys (AWS KMS) cannot be reached",
		retryable: true,
	},
	provider_timeout: { status: 504, title: "The model provider timed out", retryable: true },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface AppErrorOptions {
	detail?: string;
	/** Extra members of the problem document (RFC 9457 extension members). */
	extensions?: Record<string, unknown>;
	headers?: Record<string, string>;
	cause?: unknown;
}

export class AppError extends Error {
	readonly code: ErrorCode;
	readonly status: number;
	readonly title: string;
	readonly isRetryable: boolean;
	readonly detail: string | undefined;
	readonly extensions: Record<string, unknown> | undefined;
	readonly headers: Record<string, string> | undefined;

	constructor(code: ErrorCode, options: AppErrorOptions = {}) {
		const definition: ErrorDefinition = errorCatalogue[code];
		super(options.detail ?? definition.title, options.cause === undefined ? undefined : { cause: options.cause });
		this.name = "AppError";
		this.code = code;
		this.status = definition.status;
		this.title = definition.title;
		this.isRetryable = definition.retryable;
		this.detail = options.detail;
		this.extensions = options.extensions;
		this.headers = options.headers;
	}
}

export function isAppError(error: unknown): error is AppError {
	return error instanceof AppError;
}

export const notFound = (what: string): AppError => new AppError("not_found", { detail: `${what} not found` });
