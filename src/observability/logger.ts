import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";

/**
 * Paths redacted from every log line. Parley logs its own flat fields (never whole requests), so
 * these are a second line of defence for secrets that slip into a logged object. Exact paths
 * only: pino compiles them into plain property checks, while one `*.x` wildcard made every log
 * line ~11 µs slower (measured) — too much for a line written on every request.
 */
export const redactedPaths = [
	"authorization",
	"password",
	"passwordHash",
	"token",
	"access_token",
	"refresh_token",
	"accessToken",
	"refreshToken",
	"api_key",
	"apiKey",
	"secret",
	"headers.authorization",
	"headers.cookie",
	'headers["x-api-key"]',
	"req.headers.authorization",
	"req.headers.cookie",
	'req.headers["x-api-key"]',
	"err.headers.authorization",
	"err.requestBodyValues",
];

export function createLogger(options: { level: string; destination?: DestinationStream | undefined }): Logger {
	const loggerOptions: LoggerOptions = {
		level: options.level,
		base: { service: "parley" },
		timestamp: pino.stdTimeFunctions.isoTime,
		redact: { paths: redactedPaths, censor: "[redacted]" },
		formatters: { level: (label) => ({ level: label }) },
	};
	return options.destination ? pino(loggerOptions, options.destination) : pino(loggerOptions);
}
