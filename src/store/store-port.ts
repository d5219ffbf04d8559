import type { KeyValueCache } from "../cache/key-value-cache-port.js";
import type { IdempotencyRepository } from "./idempotency-port.js";
import type { KnowledgeRepository } from "./knowledge-port.js";
import type { MemoryRepository } from "./memory-port.js";
import type { Page, PageRequest } from "./page.js";
import type { ProviderKeyRepository } from "./provider-key-port.js";
import type { JobRepository, QuestionRepository } from "./question-port.js";
import type { BudgetRepository, UsageRepository } from "./usage-port.js";
import type { WebhookRepository } from "./webhook-port.js";

/**
 * The storage port. Services depend on this interface only; each backend
 * (store/sqlite, store/postgres, store/dynamodb) implements it and must pass
 * test/contract/store.contract.ts.
 *
 * Rules every adapter follows:
 * - Every read or change of a user's resource takes the owner's user id and matches on it,
 *   so one user can never reach another's rows through the port.
 * - Timestamps are epoch milliseconds.
 * - Cursors are opaque strings made and read by the adapter; a malformed cursor throws
 *   InvalidCursorError.
 * - A write that would break a uniqueness rule throws StoreConflictError naming the field.
 */

export interface StoreCapabilities {
	readonly backend: "sqlite" | "postgres" | "dynamodb";
	readonly supportsTransactions: boolean;
}

export class StoreConflictError extends Error {
	constructor(readonly field: "email" | "username" | "external_subject" | "id") {
		super(`unique constraint violated on ${field}`);
		this.name = "StoreConflictError";
	}
}

export { InvalidCursorError, type Page, type PageRequest } from "./page.js";

// ---------- users ----------

export interface UserRecord {
	id: string;
	/** Lower-cased. Null for external-IdP users whose token carries no email. */
	email: string | null;
	/** As typed; uniqueness is case-insensitive. */
	username: string | null;
	name: string | null;
	roles: string[];
	preferences: Record<string, unknown>;
	defaultModel: string | null;
	/** Whether Parley may remember facts and preferences from this user's messages (default true). */
	memoryEnabled: boolean;
	/** argon2id PHC string; null for users who never set a password (dev login, external IdP). */
	passwordHash: string | null;
	externalIssuer: string | null;
	externalSubject: string | null;
	createdAt: number;
	updatedAt: number;
}

export type NewUser = Omit<UserRecord, "updatedAt">;

export interface UserPatch {
	name?: string | null;
	preferences?: Record<string, unknown>;
	defaultModel?: string | null;
	memoryEnabled?: boolean;
	email?: string | null;
	username?: string | null;
	roles?: string[];
}

export interface UserRepository {
	create(user: NewUser): Promise<UserRecord>;
	findById(id: string): Promise<UserRecord | undefined>;
	/** `email` must already be lower-cased. */
	findByEmail(email: string): Promise<UserRecord | undefined>;
	/** Case-insensitive. */
	findByUsername(username: string): Promise<UserRecord | undefined>;
	findByExternalSubject(issuer: string, subject: string): Promise<UserRecord | undefined>;
	update(id: string, patch: UserPatch, updatedAt: number): Promise<UserRecord | undefined>;
}

// ---------- refresh tokens ----------

export interface RefreshTokenRecord {
	id: string;
	userId: string;
	/** All tokens descending from one login share a family; reuse of any revokes the family. */
	familyId: string;
	/** SHA-256 of the token secret, hex. The secret itself is never stored. */
	tokenHash: string;
	createdAt: number;
	expiresAt: number;
	usedAt: number | null;
	revokedAt: number | null;
}

export type ConsumeOutcome = "consumed" | "already-used" | "revoked" | "missing";

export interface RefreshTokenRepository {
	create(token: Omit<RefreshTokenRecord, "usedAt" | "revokedAt">): Promise<void>;
	findByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
	/**
	 * Atomically marks an unused, unrevoked token as used. Of two concurrent calls for the same
	 * token exactly one gets "consumed".
	 */
	consume(id: string, at: number): Promise<ConsumeOutcome>;
	revokeFamily(familyId: string, at: number): Promise<void>;
	revokeAllForUser(userId: string, at: number): Promise<void>;
}

// ---------- API keys ----------

export interface ApiKeyRecord {
	id: string;
	userId: string;
	name: string;
	/** The first characters of the key, shown to help the owner tell keys apart. */
	prefix: string;
	lastFour: string;
	/** SHA-256 of the whole key, hex. Keys are 256-bit random, so a fast hash is enough. */
	keyHash: string;
	createdAt: number;
	expiresAt: number | null;
	lastUsedAt: number | null;
	revokedAt: number | null;
}

export interface ApiKeyRepository {
	create(key: Omit<ApiKeyRecord, "lastUsedAt" | "revokedAt">): Promise<void>;
	/** Returns revoked keys too, so the caller can tell "revoked" from "unknown". */
	findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
	/** Unrevoked keys, newest first. */
	listByUser(userId: string): Promise<ApiKeyRecord[]>;
	/** False when the key does not exist, belongs to someone else, or is already revoked. */
	revoke(userId: string, id: string, at: number): Promise<boolean>;
	touch(id: string, at: number): Promise<void>;
}

// ---------- conversations and interactions ----------

export interface TokenCounts {
	promptTokens: number;
	completionTokens: number;
	totalTokens: number;
}

export interface ConversationRecord extends TokenCounts {
	id: string;
	userId: string;
	title: string;
	/** Model of the latest turn. */
	model: string | null;
	interactionCount: number;
	createdAt: number;
	updatedAt: number;
}

export type InteractionEndpoint = "chat" | "generate" | "completions" | "prompts" | "questions";

/**
 * One call to a model on behalf of a user: the ledger row for usage accounting, and, when it
 * belongs to a conversation, one turn of it (the user's prompt and the assistant's response).
 */
export interface InteractionRecord extends TokenCounts {
	id: string;
	userId: string;
	conversationId: string | null;
	apiKeyId: string | null;
	endpoint: InteractionEndpoint;
	provider: string;
	model: string;
	system: string | null;
	prompt: string;
	response: string;
	/** Token estimate of `prompt` alone, kept so history can be trimmed without re-tokenizing. */
	promptTextTokens: number;
	/** True when the provider reported no usage and the counts are tokenizer estimates. */
	usageEstimated: boolean;
	/**
	 * What the call cost in micro-dollars at the price that applied when it was made, for the model
	 * that answered; null when that model had no price.
	 */
	costMicroUsd: number | null;
	latencyMs: number;
	finishReason: string;
	requestId: string | null;
	metadata: Record<string, unknown> | null;
	createdAt: number;
}

export interface NewConversation {
	id: string;
	title: string;
	createdAt: number;
}

export interface RecordInteractionInput {
	interaction: InteractionRecord;
	/** Set when this interaction starts a new conversation (with id interaction.conversationId). */
	newConversation?: NewConversation;
}

export interface ConversationListRequest extends PageRequest {
	/** Case-insensitive substring of the title. */
	titleContains?: string | undefined;
}

export interface ConversationRepository {
	findById(userId: string, id: string): Promise<ConversationRecord | undefined>;
	/** Most recently updated first. */
	list(userId: string, request: ConversationListRequest): Promise<Page<ConversationRecord>>;
	updateTitle(userId: string, id: string, title: string, at: number): Promise<ConversationRecord | undefined>;
	/** Deletes the conversation and all its interactions. False when it is not the user's. */
	delete(userId: string, id: string): Promise<boolean>;
}

export interface InteractionRepository {
	/**
	 * Stores one interaction and, atomically with it, creates its conversation or adds its
	 * token counts to the existing one. Throws NotFound-like `false` semantics as
	 * ConversationMissingError when the conversation does not exist or is not the user's.
	 */
	record(input: RecordInteractionInput): Promise<void>;
	findById(userId: string, id: string): Promise<InteractionRecord | undefined>;
	/** The newest `limit` turns of a conversation, returned oldest first. */
	recentInConversation(userId: string, conversationId: string, limit: number): Promise<InteractionRecord[]>;
	/** Newest first. */
	list(userId: string, request: PageRequest): Promise<Page<InteractionRecord>>;
}

export class ConversationMissingError extends Error {
	constructor() {
		super("conversation does not exist");
		this.name = "ConversationMissingError";
	}
}

export interface Store {
	readonly capabilities: StoreCapabilities;
	/** Collections, documents, chunks and search (store/knowledge-port.ts). */
	readonly knowledge: KnowledgeRepository;
	/** User memories (store/memory-port.ts). */
	readonly memories: MemoryRepository;
	/** Idempotency-Key records (store/idempotency-port.ts). */
	readonly idempotency: IdempotencyRepository;
	/** The response cache's table (RESPONSE_CACHE_STORE=sql). */
	readonly responseCache: KeyValueCache;
	readonly users: UserRepository;
	readonly refreshTokens: RefreshTokenRepository;
	readonly apiKeys: ApiKeyRepository;
	/** Users' own provider keys, encrypted (store/provider-key-port.ts). */
	readonly providerKeys: ProviderKeyRepository;
	readonly conversations: ConversationRepository;
	readonly interactions: InteractionRepository;
	/** Usage sums over interactions (store/usage-port.ts). */
	readonly usage: UsageRepository;
	/** Per-user budget overrides (store/usage-port.ts). */
	readonly budgets: BudgetRepository;
	/** Async questions (store/question-port.ts). */
	readonly questions: QuestionRepository;
	/** Durable jobs of the embedded queue (store/question-port.ts). */
	readonly jobs: JobRepository;
	/** Users' webhooks and their delivery log (store/webhook-port.ts). */
	readonly webhooks: WebhookRepository;
	/** Connections of the store's pool, for metrics; absent for stores without one (SQLite). */
	connectionPool?(): { total: number; idle: number; waiting: number };
	/** Applies pending migrations; idempotent. */
	migrate(): Promise<void>;
	/** Throws when the backend cannot answer a trivial query. */
	ping(): Promise<void>;
	close(): Promise<void>;
}
