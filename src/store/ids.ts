import { v7 } from "uuid";

/**
 * A new record id: a UUIDv7 string. Version 7 ids start with the creation time, so fresh rows
 * land at the end of primary-key indexes (cheap inserts) and ids sort like the rows were made,
 * which keeps `(timestamp, id)` pagination cursors stable.
 */
export function newId(): string {
	return v7();
}
