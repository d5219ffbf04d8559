import { InvalidCursorError, type Page } from "./store-port.js";

/**
 * Opaque pagination cursors shared by every storage backend. A cursor names the last item of a
 * page by its sort timestamp and id; the next page starts strictly after that pair, so items
 * whose timestamps tie are neither repeated nor skipped.
 */

export interface CursorPosition {
	/** The sort key of the last item on the page (epoch ms). */
	timestamp: number;
	/** Its id, the tie-breaker among equal timestamps. */
	id: string;
}

export const maximumPageLimit = 100;

// Cursors are tiny; anything longer or outside the base64url alphabet is not one of ours.
const cursorPattern = /^[A-Za-z0-9_-]{1,256}$/;
const maximumIdLength = 128;

export function encodeCursor(position: CursorPosition): string {
	return Buffer.from(JSON.stringify({ t: position.timestamp, i: position.id }), "utf8").toString("base64url");
}

/** Throws InvalidCursorError for anything `encodeCursor` could not have produced. */
export function decodeCursor(cursor: string): CursorPosition {
	if (typeof cursor !== "string" || !cursorPattern.test(cursor)) {
		throw new InvalidCursorError();
	}
	let decoded: unknown;
	try {
		decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
	} catch {
		throw new InvalidCursorError();
	}
	if (typeof decoded !== "object" || decoded === null || Array.isArray(decoded)) {
		throw new InvalidCursorError();
	}
	const { t: timestamp, i: id } = decoded as Record<string, unknown>;
	if (!Number.isSafeInteger(timestamp) || typeof id !== "string" || id.length === 0 || id.length > maximumIdLength) {
		throw new InvalidCursorError();
	}
	return { timestamp: timestamp as number, id };
}

/**
 * Rejects a limit outside 1..100. The HTTP layer validates client input first, so reaching this
 * is a programming error, reported loudly rather than silently clamped.
 */
export function checkPageLimit(limit: number): void {
	if (!Number.isInteger(limit) || limit < 1 || limit > maximumPageLimit) {
		throw new RangeError(`page limit must be an integer from 1 to ${maximumPageLimit}, got ${limit}`);
	}
}

/**
 * Builds a page from rows fetched with `limit + 1`: the extra row only proves that another page
 * exists, so the last page never ends with a cursor to an empty page.
 */
export function toPage<T>(rows: T[], limit: number, positionOf: (item: T) => CursorPosition): Page<T> {
	if (rows.length <= limit) {
		return { items: rows, nextCursor: null };
	}
	const items = rows.slice(0, limit);
	return { items, nextCursor: encodeCursor(positionOf(items[limit - 1]!)) };
}
