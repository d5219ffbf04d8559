/**
 * Records of requests sent with an Idempotency-Key (IETF httpapi-idempotency-key draft).
 * One record per (owner, key): claimed while the first request runs, then holding its final
 * response until it expires. Implemented by each store backend and, with REDIS_URL, by Redis;
 * every implementation passes test/contract/idempotency.contract.ts.
 */

export interface StoredResponse {
	status: number;
	/** Lower-case names; only headers worth replaying (content type, location, x-parley-*). */
	headers: Record<string, string>;
	body: string;
}

export interface IdempotencyClaim {
	/** The caller's scope: a key only ever matches requests of the same caller. */
	ownerId: string;
	key: string;
	/** Hash of method, path and body: the same key with another request is refused. */
	fingerprint: string;
	now: number;
	/** A claim not completed by then is abandoned (its process died) and may be taken over. */
	lockedUntil: number;
}

export type ClaimOutcome =
	| { state: "claimed" }
	| { state: "in-progress"; lockedUntil: number }
	| { state: "completed"; response: StoredResponse }
	| { state: "mismatch" };

export interface IdempotencyRepository {
	/**
	 * Atomically claims the key for this request, unless a live record exists: then reports it
	 * (completed with its response, in progress, or made by a different request). Expired
	 * records and abandoned claims are replaced. Of concurrent claims exactly one is "claimed".
	 */
	claim(claim: IdempotencyClaim): Promise<ClaimOutcome>;
	/** Stores the final response of a claimed key; it is replayed until `expiresAt`. */
	complete(ownerId: string, key: string, response: StoredResponse, expiresAt: number): Promise<void>;
	/** Drops a claim whose request failed, so that sending it again runs it again. */
	release(ownerId: string, key: string): Promise<void>;
	/** Deletes records that expired before `now`; returns how many. */
	purgeExpired(now: number): Promise<number>;
}
