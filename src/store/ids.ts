import { randomUUID } from "node:crypto";

let lastMilliseconds = 0;
let sequence = 0;

/**
 * A new record id: a UUIDv7 string (RFC 9562). Version 7 ids start with the creation time, so
 * fresh rows land at the end of primary-key indexes (cheap inserts) and ids sort like the rows
 * were made, which keeps `(timestamp, id)` pagination cursors stable.
 *
 * Built on Node's randomUUID, which draws from a pooled entropy buffer (~0.1 µs), because the
 * uuid package's v7 fills fresh random bytes on every call (~1.9 µs) — measurable when every
 * request creates ids. rand_a holds a per-millisecond sequence (RFC 9562 method 1), so ids made
 * in the same millisecond, or while the clock steps back, still increase.
 */
export function newId(): string {
	const now = Date.now();
	if (now > lastMilliseconds) {
		lastMilliseconds = now;
		sequence = 0;
	} else if (++sequence > 0xfff) {
		lastMilliseconds++;
		sequence = 0;
	}
	const time = lastMilliseconds.toString(16).padStart(12, "0");
	// randomUUID's tail from index 19 is the variant nibble plus 60 random bits.
	return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${sequence.toString(16).padStart(3, "0")}-${randomUUID().slice(19)}`;
}
