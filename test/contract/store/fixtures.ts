import { expect } from "vitest";
import { newId } from "../../../src/store/ids.js";
import type {
	ApiKeyRecord,
	InteractionRecord,
	NewUser,
	Page,
	RefreshTokenRecord,
	Store,
} from "../../../src/store/store-port.js";

/** A fixed epoch so expected timestamps are readable; tests add offsets to it. */
export const baseTime = 1_750_000_000_000;

let sequence = 0;
/** Distinct on every call, so fixtures never collide on unique fields by accident. */
export function unique(label: string): string {
	sequence += 1;
	return `${label}-${sequence}-${Math.random().toString(36).slice(2, 8)}`;
}

export function aUser(overrides: Partial<NewUser> = {}): NewUser {
	const handle = unique("user");
	return {
		id: newId(),
		email: `${handle}@example.com`,
		username: handle,
		name: "Ada Lovelace",
		roles: ["user"],
		preferences: {},
		defaultModel: null,
		memoryEnabled: true,
		passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		externalIssuer: null,
		externalSubject: null,
		createdAt: baseTime,
		...overrides,
	};
}

export function aRefreshToken(
	userId: string,
	overrides: Partial<Omit<RefreshTokenRecord, "usedAt" | "revokedAt">> = {},
): Omit<RefreshTokenRecord, "usedAt" | "revokedAt"> {
	return {
		id: newId(),
		userId,
		familyId: newId(),
		tokenHash: unique("token-hash"),
		createdAt: baseTime,
		expiresAt: baseTime + 86_400_000,
		...overrides,
	};
}

export function anApiKey(
	userId: string,
	overrides: Partial<Omit<ApiKeyRecord, "lastUsedAt" | "revokedAt">> = {},
): Omit<ApiKeyRecord, "lastUsedAt" | "revokedAt"> {
	return {
		id: newId(),
		userId,
		name: "laptop",
		prefix: "pk_live_ab",
		lastFour: "wxyz",
		keyHash: unique("key-hash"),
		createdAt: baseTime,
		expiresAt: null,
		...overrides,
	};
}

export function anInteraction(userId: string, overrides: Partial<InteractionRecord> = {}): InteractionRecord {
	return {
		id: newId(),
		userId,
		conversationId: null,
		apiKeyId: null,
		endpoint: "chat",
		provider: "mock",
		model: "mock-small",
		system: null,
		prompt: "What is the capital of France?",
		response: "Paris.",
		promptTokens: 10,
		completionTokens: 3,
		totalTokens: 13,
		promptTextTokens: 8,
		usageEstimated: false,
		costMicroUsd: 6,
		latencyMs: 42,
		finishReason: "stop",
		requestId: null,
		metadata: null,
		createdAt: baseTime,
		...overrides,
	};
}

/** Creates a user and returns its id. */
export async function createUser(store: Store, overrides: Partial<NewUser> = {}): Promise<string> {
	const user = await store.users.create(aUser(overrides));
	return user.id;
}

/** Starts a conversation through its first interaction, the only way the port creates one. */
export async function startConversation(
	store: Store,
	userId: string,
	options: { title?: string; at?: number; interaction?: Partial<InteractionRecord> } = {},
): Promise<string> {
	const conversationId = newId();
	const at = options.at ?? baseTime;
	await store.interactions.record({
		interaction: anInteraction(userId, { conversationId, createdAt: at, ...options.interaction }),
		newConversation: { id: conversationId, title: options.title ?? "A conversation", createdAt: at },
	});
	return conversationId;
}

/** Follows nextCursor to the end, failing on a loop rather than hanging. */
export async function collectPages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[][]> {
	const pages: T[][] = [];
	let cursor: string | undefined;
	do {
		const page = await fetchPage(cursor);
		pages.push(page.items);
		cursor = page.nextCursor ?? undefined;
		expect(pages.length).toBeLessThan(100);
	} while (cursor !== undefined);
	return pages;
}

/** Cursors no adapter could have produced. */
export const malformedCursors = [
	"garbage!",
	"",
	Buffer.from("not json").toString("base64url"),
	Buffer.from(JSON.stringify({ t: "soon", i: 1 })).toString("base64url"),
	Buffer.from(JSON.stringify([1, 2])).toString("base64url"),
	"a".repeat(5000),
];
