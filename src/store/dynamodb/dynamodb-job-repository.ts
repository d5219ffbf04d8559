import type { JobRecord, JobRepository } from "../question-port.js";
import { type ItemOperations, setFields, timeOrderedKey } from "./dynamodb-items.js";

/**
 * Jobs of the embedded queue (a DynamoDB deployment normally uses SQS instead): `JOB#<id>` /
 * `RECORD`, indexed in gsi2 by queue and due time (`JOBS#<queue>` / `<dueAt>#<id>`; dead ones
 * under `JOBS#<queue>#DEAD`). Every change is conditional on the item's `version`, read from
 * the table itself, so a stale index entry or a concurrent worker never leases a job twice.
 */

interface JobItem {
	data: JobRecord;
	version: number;
	availableAt: number;
}

const keyOf = (id: string) => ({ pk: `JOB#${id}`, sk: "RECORD" });
const duePartition = (queue: string) => `JOBS#${queue}`;
const deadPartition = (queue: string) => `JOBS#${queue}#DEAD`;
const dueAtOf = (item: JobItem) => item.data.lockedUntil ?? item.availableAt;

export function createDynamoJobRepository(items: ItemOperations): JobRepository {
	const read = (id: string) => items.get<JobItem>(keyOf(id));

	/** Writes a new state of the job if nobody changed it since `seen`; the new item or undefined. */
	async function replace(seen: JobItem, data: JobRecord, availableAt = seen.availableAt): Promise<JobItem | undefined> {
		const next: JobItem = { data, version: seen.version + 1, availableAt };
		const update = setFields(
			{},
			{
				data,
				version: next.version,
				availableAt,
				gsi2pk: data.deadLettered ? deadPartition(data.queue) : duePartition(data.queue),
				gsi2sk: timeOrderedKey(dueAtOf(next), data.id),
			},
		);
		const changed = await items.update<JobItem>(keyOf(data.id), update.expression, {
			names: Object.fromEntries(Object.entries(update.names).filter(([name]) => name !== "#data")),
			values: { ...update.values, ":seen": seen.version },
			condition: "version = :seen",
		});
		return changed;
	}

	async function whileLeased(id: string, leaseToken: string, change: (item: JobItem) => Promise<unknown>) {
		const item = await read(id);
		if (item === undefined || item.data.leaseToken !== leaseToken) return false;
		return (await change(item)) !== undefined;
	}

	return {
		async add(job) {
			const data: JobRecord = {
				id: job.id,
				queue: job.queue,
				data: job.data,
				attempts: 0,
				maxAttempts: job.maxAttempts,
				leaseToken: null,
				lockedUntil: null,
				deadLettered: false,
				lastError: null,
				createdAt: job.at,
			};
			return items.put(
				{
					...keyOf(job.id),
					data,
					version: 1,
					availableAt: job.at,
					gsi2pk: duePartition(job.queue),
					gsi2sk: timeOrderedKey(job.at, job.id),
				},
				{ expression: "attribute_not_exists(pk)" },
			);
		},

		async take(queue, options) {
			const taken: JobRecord[] = [];
			const exhausted: JobRecord[] = [];
			// Due jobs in due order, a page at a time: jobs a concurrent taker wins are skipped, and the
			// walk goes on until this taker has its `limit` or no due job is left.
			const dueBound = timeOrderedKey(options.at, "\uffff");
			let after = "";
			while (taken.length < options.limit) {
				const candidates = await items.query<JobItem & { gsi2sk: string }>({
					index: "gsi2",
					partition: duePartition(queue),
					sort: { between: [after, dueBound] },
					limit: options.limit * 2,
					filter: (item) => item.gsi2sk !== after,
				});
				if (candidates.length === 0) break;
				after = candidates[candidates.length - 1]!.gsi2sk;
				for (const candidate of candidates) {
					if (taken.length >= options.limit) break;
					const current = await read(candidate.data.id);
					if (current === undefined || current.data.deadLettered || dueAtOf(current) > options.at) continue;
					const job = current.data;
					const giveUp = job.attempts >= job.maxAttempts;
					const next: JobRecord = giveUp
						? {
								...job,
								deadLettered: true,
								leaseToken: null,
								lockedUntil: null,
								lastError: `gave up after ${job.attempts} deliveries that never finished`,
							}
						: { ...job, attempts: job.attempts + 1, leaseToken: options.leaseToken, lockedUntil: options.lockedUntil };
					if ((await replace(current, next)) === undefined) continue;
					(giveUp ? exhausted : taken).push(next);
				}
			}
			return { taken, exhausted };
		},

		extend(id, leaseToken, lockedUntil) {
			return whileLeased(id, leaseToken, (item) => replace(item, { ...item.data, lockedUntil }));
		},

		complete(id, leaseToken) {
			return whileLeased(id, leaseToken, (item) =>
				items.remove(keyOf(id), { expression: "version = :seen", values: { ":seen": item.version } }),
			);
		},

		retryLater(id, leaseToken, availableAt, error) {
			return whileLeased(id, leaseToken, (item) =>
				replace(item, { ...item.data, lastError: error, leaseToken: null, lockedUntil: null }, availableAt),
			);
		},

		deadLetter(id, leaseToken, error) {
			return whileLeased(id, leaseToken, (item) =>
				replace(item, { ...item.data, deadLettered: true, lastError: error, leaseToken: null, lockedUntil: null }),
			);
		},

		async nextDueAt(queue) {
			const [first] = await items.query<JobItem>({ index: "gsi2", partition: duePartition(queue), limit: 1 });
			return first === undefined ? undefined : dueAtOf(first);
		},

		async counts(queue, at) {
			const live = await items.query<JobItem>({ index: "gsi2", partition: duePartition(queue) });
			const dead = await items.query<JobItem>({ index: "gsi2", partition: deadPartition(queue) });
			const active = live.filter((item) => item.data.leaseToken !== null && (item.data.lockedUntil ?? 0) > at).length;
			return { waiting: live.length - active, active, deadLettered: dead.length };
		},
	};
}
