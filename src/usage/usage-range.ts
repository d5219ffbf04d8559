import { AppError } from "../errors.js";
import type { UsageRange } from "../store/usage-port.js";

const dayMs = 86_400_000;
/** Reports span at most a year (a leap one included), which keeps a report's scan bounded. */
export const maximumRangeDays = 366;
export const defaultRangeDays = 30;

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The half-open range of a usage report from its `from` and `to` query values, each an ISO date
 * or date-time. A date as `from` means the start of that UTC day; as `to`, its end, so
 * `from=2026-11-01&to=2026-11-30` covers the whole of November. By default: the last 30 days.
 */
export function resolveUsageRange(
	query: { from?: string | undefined; to?: string | undefined },
	now: number,
): UsageRange {
	const to = query.to === undefined ? now : instant(query.to, "to");
	const from = query.from === undefined ? to - defaultRangeDays * dayMs : instant(query.from, "from");
	if (from > to) {
		throw new AppError("validation_failed", { detail: "query.from: must not be after query.to" });
	}
	if (to - from > maximumRangeDays * dayMs) {
		throw new AppError("validation_failed", {
			detail: `query.from: the range may span at most ${maximumRangeDays} days`,
		});
	}
	return { from, to };
}

function instant(value: string, bound: "from" | "to"): number {
	const milliseconds = Date.parse(dateOnly.test(value) ? `${value}T00:00:00Z` : value);
	if (Number.isNaN(milliseconds)) {
		throw new AppError("validation_failed", { detail: `query.${bound}: not an ISO date or date-time` });
	}
	return bound === "to" && dateOnly.test(value) ? milliseconds + dayMs : milliseconds;
}

export const usageRangeDescription =
	"`from` and `to` are ISO dates (whole UTC days, `to` included) or date-times (`to` excluded); by default the last " +
	`${defaultRangeDays} days; at most ${maximumRangeDays} days.`;
