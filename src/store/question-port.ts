import type { Page, PageRequest } from "./page.js";

/**
 * Async questions (POST /v1/questions) and the durable jobs of the embedded queue. Part of the
 * storage port (store-port.ts); every backend implements both repositories and passes
 * test/contract/store/questions.contract.ts and test/contract/queue.contract.ts.
 *
 * PostgreSQL (store/postgres) needs the same two tables as sqlite-question-migrations.ts; there
 * `take` is naturally `SELECT … FOR UPDATE SKIP LOCKED` + `UPDATE`, and every conditional write an
 * `UPDATE … WHERE claim_token = $n RETURNING *`.
 */

export const questionStatuses = ["pending", "processing", "answered", "failed"] as const;
export type QuestionStatus = (typeof questionStatuses)[number];

export interface QuestionUsage {
	promptTokens: number;
	completionTokens: number;
	totalTokens: number;
	estimated: boolean;
}

/** A passage the answer was grounded on (the shape of chat's Citation). */
export interface QuestionCitation {
	number: number;
	documentId: string;
	title: string;
	chunkId: string;
	score: number;
	snippet: string;
}

export interface QuestionRecord {
	id: string;
	userId: string;
	sessionId: string;
	question: string;
	/** The model asked for; null means the user's default, else the installation's. */
	requestedModel: string | null;
	rag: boolean;
	status: QuestionStatus;
	/** Public id of the model that answered. */
	model: string | null;
	answer: string | null;
	interactionId: string | null;
	usage: QuestionUsage | null;
	citations: QuestionCitation[] | null;
	errorCode: string | null;
	errorDetail: string | null;
	/** Deliveries started so far (a worker that died mid-job counts too). */
	attempts: number;
	/** Names the delivery currently allowed to store an outcome; any other is stale. */
	claimToken: string | null;
	/** Set when the question failed after every retry and waits for an admin (dead letter). */
	deadLetteredAt: number | null;
	requestId: string | null;
	createdAt: number;
	updatedAt: number;
	/** When it was answered or finally failed. */
	finishedAt: number | null;
}

export type NewQuestion = Pick<
	QuestionRecord,
	"id" | "userId" | "sessionId" | "question" | "requestedModel" | "rag" | "requestId" | "createdAt"
>;

export interface QuestionListRequest extends PageRequest {
	sessionId?: string | undefined;
	status?: QuestionStatus | undefined;
}

export interface QuestionAnswer {
	model: string;
	answer: string;
	interactionId: string;
	usage: QuestionUsage;
	citations: QuestionCitation[];
}

export interface QuestionFailure {
	code: string;
	detail: string;
	deadLettered: boolean;
}

export interface QuestionRepository {
	create(question: NewQuestion): Promise<QuestionRecord>;
	findById(userId: string, id: string): Promise<QuestionRecord | undefined>;
	/** Newest first; optional session and status filters. */
	list(userId: string, request: QuestionListRequest): Promise<Page<QuestionRecord>>;
	/**
	 * Marks a pending or processing question `processing` under a new claim token and counts the
	 * attempt. Undefined when the question is gone or already answered or failed: a redelivered
	 * job then has nothing to do. (Taking over a `processing` one is safe because the queue only
	 * redelivers a job whose previous holder lost its lease.)
	 */
	claim(id: string, claimToken: string, at: number): Promise<QuestionRecord | undefined>;
	/** Stores the answer if `claimToken` still holds the question; false otherwise (nothing written). */
	answer(id: string, claimToken: string, answer: QuestionAnswer, at: number): Promise<QuestionRecord | undefined>;
	/** Back to `pending` to be retried, keeping the last error; false when the claim is stale. */
	release(id: string, claimToken: string, error: { code: string; detail: string }, at: number): Promise<boolean>;
	/**
	 * Final failure. With a claim token only that delivery may fail it; with null any question not
	 * yet answered or failed is (the queue gave up on a job whose workers kept dying).
	 */
	fail(
		id: string,
		claimToken: string | null,
		failure: QuestionFailure,
		at: number,
	): Promise<QuestionRecord | undefined>;
	/** Every user's dead-lettered questions, newest first (operators only). */
	listDeadLettered(request: PageRequest): Promise<Page<QuestionRecord>>;
	/** Puts a dead-lettered question back to `pending` with no attempts; undefined when it is not dead-lettered. */
	revive(id: string, at: number): Promise<QuestionRecord | undefined>;
}

// ---------- jobs of the embedded queue ----------

export interface JobRecord {
	id: string;
	queue: string;
	/** Ids only: the worker reads everything else from the store. */
	data: Record<string, string>;
	/** Deliveries started so far. */
	attempts: number;
	maxAttempts: number;
	/** A delivery holds the job until then; afterwards another worker may take it. */
	leaseToken: string | null;
	lockedUntil: number | null;
	deadLettered: boolean;
	lastError: string | null;
	createdAt: number;
}

export interface JobCounts {
	/** Waiting or delayed (retry backoff). */
	waiting: number;
	active: number;
	deadLettered: number;
}

export interface JobRepository {
	/** Adds a job; a job with the same id already queued is left as it is (false). */
	add(job: {
		id: string;
		queue: string;
		data: Record<string, string>;
		maxAttempts: number;
		at: number;
	}): Promise<boolean>;
	/**
	 * Takes up to `limit` jobs of `queue` that are due (available, or whose lease ran out) under
	 * `leaseToken` until `lockedUntil`, counting an attempt on each. Jobs that had already used
	 * every attempt are dead-lettered instead and returned in `exhausted`.
	 */
	take(
		queue: string,
		options: { limit: number; leaseToken: string; at: number; lockedUntil: number },
	): Promise<{ taken: JobRecord[]; exhausted: JobRecord[] }>;
	/** Extends the lease; false when the lease is no longer this holder's. */
	extend(id: string, leaseToken: string, lockedUntil: number): Promise<boolean>;
	/** Removes a finished job. */
	complete(id: string, leaseToken: string): Promise<boolean>;
	/** Makes the job due again at `availableAt` (backoff) with its error. */
	retryLater(id: string, leaseToken: string, availableAt: number, error: string): Promise<boolean>;
	deadLetter(id: string, leaseToken: string, error: string): Promise<boolean>;
	/** When the next job of `queue` becomes due (for sleeping until then), or undefined. */
	nextDueAt(queue: string): Promise<number | undefined>;
	/** As of `at`: a job whose lease ran out counts as waiting. */
	counts(queue: string, at: number): Promise<JobCounts>;
}
