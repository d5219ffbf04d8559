import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";

/**
 * Paths redacted from every log line. Parley logs its own structured fields (never whole
 * requests), so these are a second line of defence for secrets that slip into a logged object.
 */
export const redactedPaths = [
	"authorization",
	"password",
	"passwordHash",
	"token",
	"access_token",
	"refresh_token",
	"refreshToken",
	"accessToken",
	"api_key",
	"apiKey",
	"secret",
	"*.authorization",
	"*.password",
	"*.passwordHash",
	"*.token",
	"*.access_token",
	"*.refresh_token",
	"*.refreshToken",
	"*.accessToken",
	"*.api_key",
	"*.apiKey",
	"*.secret",
	"*.headers.authorization",
	"*.headers.cookie",
	'*.headers["x-api-key"]',
	'headers["x-api-key"]',
	"headers.authorization",
	"headers.cookie",
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
