import type { Database } from "better-sqlite3";

/**
 * Grouped commits for SQLite. Committing costs far more than writing a row (~12 µs for an
 * autocommitted insert, ~2.5 µs when 64 share a transaction), so every write is queued and all
 * writes queued during one turn of the event loop commit together in ONE transaction.
 *
 * Each unit of work runs inside its own SAVEPOINT: a unit that throws (say, a uniqueness
 * violation) rolls back only its own changes and rejects only its own caller; the others still
 * commit. A caller's promise settles only after the shared transaction has committed, so a
 * caller that awaited its write can read it back (reads are synchronous on the same connection).
 */
export interface WriteQueue {
	/**
	 * Queues `work` and resolves with its result once it has committed. `work` must be
	 * synchronous: a transaction cannot stay open across an `await`.
	 */
	run<T>(work: () => T, options?: UnitOptions): Promise<T>;
	/**
	 * Runs `work` while no batch may start (queued writes wait), for callers that drive the
	 * connection themselves across awaits, such as migrations.
	 */
	exclusive<T>(work: () => Promise<T>): Promise<T>;
	/** Rejects new work, commits what is queued, and resolves once nothing is left. */
	close(): Promise<void>;
}

export interface UnitOptions {
	/**
	 * The unit runs exactly one write statement, which SQLite already applies atomically, so it
	 * needs no savepoint of its own (a SAVEPOINT/RELEASE pair costs ~2 µs per unit).
	 */
	singleStatement?: boolean;
}

export interface WriteQueueOptions {
	/** Upper bound on units per transaction, which bounds how long one commit blocks the event loop. */
	maximumBatchSize?: number;
	/** Observes each committed batch, e.g. for a batch-size histogram. */
	onBatchCommitted?: (unitCount: number) => void;
}

interface QueuedUnit {
	work: () => unknown;
	singleStatement: boolean;
	resolve: (value: unknown) => void;
	reject: (error: unknown) => void;
}

type UnitOutcome = { failed: false; value: unknown } | { failed: true; error: unknown };

export class WriteQueueClosedError extends Error {
	constructor() {
		super("the SQLite write queue is closed");
		this.name = "WriteQueueClosedError";
	}
}

const defaultMaximumBatchSize = 256;

export function createWriteQueue(database: Database, options: WriteQueueOptions = {}): WriteQueue {
	const maximumBatchSize = options.maximumBatchSize ?? defaultMaximumBatchSize;
	let queued: QueuedUnit[] = [];
	let drainScheduled = false;
	let exclusiveHolders = 0;
	let closed = false;
	let idleWaiters: Array<() => void> = [];

	// Called inside the batch transaction, better-sqlite3 turns this into SAVEPOINT / RELEASE, or
	// ROLLBACK TO when the unit throws.
	const runUnit = database.transaction((work: () => unknown) => work());

	const runBatch = database.transaction((batch: QueuedUnit[], outcomes: UnitOutcome[]) => {
		for (const unit of batch) {
			try {
				outcomes.push({ failed: false, value: unit.singleStatement ? unit.work() : runUnit(unit.work) });
			} catch (error) {
				if (!database.inTransaction) {
					// SQLite itself rolled back the whole transaction (disk full, I/O error): nothing of
					// this batch survives, so no unit may report success.
					throw error;
				}
				outcomes.push({ failed: true, error });
			}
		}
	});

	function scheduleDrain(): void {
		if (!drainScheduled && exclusiveHolders === 0 && queued.length > 0) {
			drainScheduled = true;
			setImmediate(drain);
		}
	}

	function drain(): void {
		drainScheduled = false;
		if (exclusiveHolders > 0) {
			return;
		}
		const batch = queued.length <= maximumBatchSize ? queued : queued.slice(0, maximumBatchSize);
		queued = queued.length <= maximumBatchSize ? [] : queued.slice(maximumBatchSize);
		commit(batch);
		scheduleDrain();
		notifyIfIdle();
	}

	function commit(batch: QueuedUnit[]): void {
		const outcomes: UnitOutcome[] = [];
		try {
			// IMMEDIATE takes the write lock up front, so another process sharing the file makes us
			// wait (busy_timeout) instead of failing when a read lock would be upgraded.
			runBatch.immediate(batch, outcomes);
		} catch (error) {
			for (const unit of batch) {
				unit.reject(error);
			}
			return;
		}
		for (const [index, unit] of batch.entries()) {
			const outcome = outcomes[index]!;
			if (outcome.failed) {
				unit.reject(outcome.error);
			} else {
				unit.resolve(outcome.value);
			}
		}
		// Last, so a throwing observer cannot leave a caller waiting forever.
		options.onBatchCommitted?.(batch.length);
	}

	function notifyIfIdle(): void {
		if (queued.length === 0 && exclusiveHolders === 0 && idleWaiters.length > 0) {
			const waiters = idleWaiters;
			idleWaiters = [];
			for (const wake of waiters) {
				wake();
			}
		}
	}

	return {
		run<T>(work: () => T, unitOptions?: UnitOptions): Promise<T> {
			if (closed) {
				return Promise.reject(new WriteQueueClosedError());
			}
			return new Promise<T>((resolve, reject) => {
				queued.push({
					work,
					singleStatement: unitOptions?.singleStatement === true,
					resolve: resolve as (value: unknown) => void,
					reject,
				});
				scheduleDrain();
			});
		},

		async exclusive<T>(work: () => Promise<T>): Promise<T> {
			exclusiveHolders += 1;
			try {
				return await work();
			} finally {
				exclusiveHolders -= 1;
				scheduleDrain();
				notifyIfIdle();
			}
		},

		close(): Promise<void> {
			closed = true;
			return new Promise<void>((resolve) => {
				idleWaiters.push(resolve);
				notifyIfIdle();
			});
		},
	};
}
