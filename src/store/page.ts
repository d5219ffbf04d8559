/** Pagination shared by every repository of the storage port. */

export class InvalidCursorError extends Error {
	constructor() {
		super("invalid cursor");
		this.name = "InvalidCursorError";
	}
}

export interface Page<T> {
	items: T[];
	/** Pass back as `cursor` for the next (older) page; null when there is none. */
	nextCursor: string | null;
}

export interface PageRequest {
	/** 1..100 */
	limit: number;
	cursor?: string | undefined;
}
