import type { ChatTurn } from "../chat/chat-service.js";
import { type Citation, citationToWire } from "../chat/grounding.js";
import type {
	ApiKeyRecord,
	ConversationRecord,
	InteractionRecord,
	TokenCounts,
	UserRecord,
} from "../store/store-port.js";
import { iso } from "./schemas/common.js";

/** Records as the API shows them: snake_case, ISO dates, never a secret or a hash. */

/** `costMicroUsd`: given for single calls (null when unpriced), left out for sums such as a conversation's. */
export const usageOf = (counts: TokenCounts, estimated?: boolean, costMicroUsd?: number | null) => ({
	prompt_tokens: counts.promptTokens,
	completion_tokens: counts.completionTokens,
	total_tokens: counts.totalTokens,
	...(estimated === undefined ? {} : { estimated }),
	...(costMicroUsd === undefined ? {} : { cost_usd: costMicroUsd === null ? null : costMicroUsd / 1_000_000 }),
});

export const userRepresentation = (user: UserRecord) => ({
	id: user.id,
	email: user.email,
	username: user.username,
	name: user.name,
	roles: user.roles,
	preferences: user.preferences,
	default_model: user.defaultModel,
	memory_enabled: user.memoryEnabled,
	created_at: iso(user.createdAt),
	updated_at: iso(user.updatedAt),
});

export const apiKeyRepresentation = (key: ApiKeyRecord) => ({
	id: key.id,
	name: key.name,
	prefix: key.prefix,
	last_four: key.lastFour,
	created_at: iso(key.createdAt),
	expires_at: key.expiresAt === null ? null : iso(key.expiresAt),
	last_used_at: key.lastUsedAt === null ? null : iso(key.lastUsedAt),
});

export const conversationRepresentation = (conversation: ConversationRecord) => ({
	id: conversation.id,
	title: conversation.title,
	model: conversation.model,
	message_count: conversation.interactionCount * 2,
	usage: usageOf(conversation),
	created_at: iso(conversation.createdAt),
	updated_at: iso(conversation.updatedAt),
});

export const citationRepresentation = citationToWire;

const storedCitations = (turn: InteractionRecord): Citation[] => {
	const citations = turn.metadata?.citations;
	return Array.isArray(citations) ? (citations as Citation[]) : [];
};

/** A stored turn is two messages: the user's prompt and the assistant's answer. */
export const messagesOf = (turn: InteractionRecord) => [
	{
		role: "user" as const,
		content: turn.prompt,
		interaction_id: turn.id,
		created_at: iso(turn.createdAt - turn.latencyMs),
	},
	{
		role: "assistant" as const,
		content: turn.response,
		interaction_id: turn.id,
		created_at: iso(turn.createdAt),
		model: turn.model,
		usage: usageOf(turn, turn.usageEstimated, turn.costMicroUsd),
		finish_reason: turn.finishReason,
		latency_ms: turn.latencyMs,
		citations: storedCitations(turn).map(citationRepresentation),
	},
];

export const historyItemRepresentation = (turn: InteractionRecord) => ({
	interaction_id: turn.id,
	conversation_id: turn.conversationId,
	endpoint: turn.endpoint,
	prompt: turn.prompt,
	response: turn.response,
	model: turn.model,
	usage: usageOf(turn, turn.usageEstimated, turn.costMicroUsd),
	finish_reason: turn.finishReason,
	latency_ms: turn.latencyMs,
	timestamp: iso(turn.createdAt),
	citations: storedCitations(turn).map(citationRepresentation),
});

export const chatTurnRepresentation = (turn: ChatTurn, userId: string) => ({
	interaction_id: turn.interactionId,
	conversation_id: turn.conversationId as string,
	userId,
	prompt: turn.prompt,
	response: turn.response,
	model: turn.model,
	usage: usageOf(turn.usage, turn.usageEstimated, turn.costMicroUsd),
	finish_reason: turn.finishReason,
	latency_ms: turn.latencyMs,
	timestamp: iso(turn.createdAt),
	citations: turn.citations.map(citationRepresentation),
});
