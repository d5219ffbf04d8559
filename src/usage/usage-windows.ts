/** The UTC day and calendar month budgets count in; each resets at its end. */
export type BudgetWindow = "day" | "month";

export interface WindowBounds {
	start: number;
	/** Exclusive: the instant the window resets. */
	end: number;
}

export function windowAt(window: BudgetWindow, at: number): WindowBounds {
	const date = new Date(at);
	const year = date.getUTCFullYear();
	const month = date.getUTCMonth();
	if (window === "day") {
		const start = Date.UTC(year, month, date.getUTCDate());
		return { start, end: start + 86_400_000 };
	}
	return { start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
}
