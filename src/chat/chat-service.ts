import type { Principal } from "../auth/principal.js";
import { AppError } from "../errors.js";
import type { ChatMessage, FinishReason, ModelStreamPart, ProviderCredentials, TokenUsage } from "../llm/model-port.js";
import type { ModelRouter, ResolvedModel } from "../llm/model-router.js";
import { estimateTokens, estimateUsage } from "../llm/token-estimate.js";
import type { ProviderCredentialSource } from "../provider-keys/provider-key-service.js";
import { newId } from "../store/ids.js";
import type { InteractionEndpoint, InteractionRecord, Store } from "../store/store-port.js";
import { createAsyncQueue } from "./async-queue.js";
import { buildConversationMessages, titleFromPrompt } from "./context-window.js";
import { type ChatMemory, type Citation, type Grounding, type GroundingService, groundingTokens } from "./grounding.js";

/** Turns of history read per request; older ones rarely fit a context window anyway. */
const historyTurnsRead = 50;

export interface ChatRequest {
	principal: Principal;
	requestId: string;
	endpoint: Exclude<InteractionEndpoint, "completions">;
	prompt: string;
	/** Continue this conversation; a new one is created when absent (chat endpoint only). */
	conversationId?: string | undefined;
	model?: string | undefined;
	system?: string | undefined;
	temperature?: number | undefined;
	maxTokens?: number | undefined;
	signal?: AbortSignal | undefined;
	/** Retrieve passages from the caller's documents and shared collections (default true). */
	rag?: boolean | undefined;
	/** How many passages (default RAG_TOP_K). */
	k?: number | undefined;
	/** Retrieve only from this collection. */
	collection?: string | undefined;
}

export interface ChatTurn {
	interactionId: string;
	conversationId: string | null;
	/** Public model id, "provider/model". */
	model: string;
	provider: string;
	prompt: string;
	response: string;
	usage: TokenUsage;
	usageEstimated: boolean;
	finishReason: FinishReason;
	latencyMs: number;
	attempts: number;
	createdAt: number;
	/** The retrieved passages the answer was grounded on, numbered as cited. */
	citations: Citation[];
	/** Their texts, in citation order. */
	passages: string[];
}

export interface ChatStream {
	interactionId: string;
	conversationId: string | null;
	model: string;
	citations: Citation[];
	/** Text as it arrives. Throws the failure, if the model fails. */
	deltas: AsyncIterable<string>;
	/** Resolves once the whole turn is stored — whether or not anyone reads `deltas`. */
	completion: Promise<ChatTurn>;
}

interface PreparedTurn {
	request: ChatRequest;
	resolved: ResolvedModel;
	/** The caller's own provider key, when they stored one; the server's otherwise. */
	credentials: ProviderCredentials | undefined;
	messages: ChatMessage[];
	/** The system prompt as the user gave it (stored); the model also got the grounding. */
	system: string | null;
	grounding: Grounding;
	promptTokens: number;
	interactionId: string;
	conversationId: string | null;
	isNewConversation: boolean;
	startedAt: number;
}

export type ChatService = ReturnType<typeof createChatService>;

export function createChatService(options: {
	store: Store;
	models: ModelRouter;
	grounding?: GroundingService | undefined;
	memory?: ChatMemory | undefined;
	/** Users' own provider keys; without it every call uses the server's keys. */
	providerKeys?: ProviderCredentialSource | undefined;
	/** Passages retrieved per answer when the request does not say (RAG_TOP_K). */
	defaultTopK?: number | undefined;
	now?: () => number;
}) {
	const { store, models } = options;
	const defaultTopK = options.defaultTopK ?? 4;
	const noGrounding: Grounding = { systemAddition: "", citations: [], passages: [] };
	const now = options.now ?? Date.now;

	async function prepare(request: ChatRequest): Promise<PreparedTurn> {
		const startedAt = now();
		const userId = request.principal.userId;
		// Read once per turn: the default model, and the memory switch for grounding.
		const user = await store.users.findById(userId);
		const requestedModel = request.model ?? user?.defaultModel ?? undefined;
		const resolved = models.resolve(requestedModel);
		// Before any other work: a caller who may not use this model learns it at once.
		const credentials = await options.providerKeys?.credentialsFor(userId, resolved);

		let history: InteractionRecord[] = [];
		let conversationId: string | null = null;
		let isNewConversation = false;
		if (request.endpoint === "chat") {
			if (request.conversationId !== undefined) {
				const conversation = await store.conversations.findById(userId, request.conversationId);
				if (!conversation) throw new AppError("not_found", { detail: "conversation not found" });
				conversationId = conversation.id;
				history = await store.interactions.recentInConversation(userId, conversation.id, historyTurnsRead);
			} else {
				conversationId = newId();
				isNewConversation = true;
			}
		}

		// A conversation keeps the system prompt it was last given until a new one is sent.
		const system = request.system ?? history.at(-1)?.system ?? null;
		const grounding = options.grounding
			? await options.grounding.ground(request.principal, request.prompt, {
					rag: request.rag ?? true,
					k: request.k ?? defaultTopK,
					collection: request.collection,
					memoryEnabled: user?.memoryEnabled,
				})
			: noGrounding;
		const modelSystem = [system, grounding.systemAddition].filter((part) => part).join("\n\n") || null;
		const promptTokens = estimateTokens(request.prompt);
		const contextTokens = models.contextWindow(resolved);
		const built = buildConversationMessages({
			system: modelSystem,
			systemTokens: (system ? estimateTokens(system) : 0) + groundingTokens(grounding),
			history,
			prompt: request.prompt,
			promptTokens,
			budget: {
				contextTokens,
				reservedForAnswer: request.maxTokens ?? Math.min(1024, Math.floor(contextTokens / 4)),
			},
		});
		if (!built.fits) {
			throw new AppError("context_length_exceeded", {
				detail: `the prompt needs about ${promptTokens} tokens; ${resolved.id} has a ${contextTokens}-token context window`,
			});
		}
		return {
			request,
			resolved,
			credentials,
			messages: built.messages,
			system,
			grounding,
			promptTokens,
			interactionId: newId(),
			conversationId,
			isNewConversation,
			startedAt,
		};
	}

	async function persist(
		turn: PreparedTurn,
		outcome: { text: string; finishReason: FinishReason; usage: TokenUsage | null; attempts: number },
	): Promise<ChatTurn> {
		const usage = outcome.usage ?? estimateUsage(turn.messages, outcome.text);
		const createdAt = now();
		const interaction: InteractionRecord = {
			id: turn.interactionId,
			userId: turn.request.principal.userId,
			conversationId: turn.conversationId,
			apiKeyId: turn.request.principal.apiKeyId,
			endpoint: turn.request.endpoint,
			provider: turn.resolved.provider,
			model: turn.resolved.id,
			system: turn.system,
			prompt: turn.request.prompt,
			response: outcome.text,
			promptTextTokens: turn.promptTokens,
			promptTokens: usage.promptTokens,
			completionTokens: usage.completionTokens,
			totalTokens: usage.totalTokens,
			usageEstimated: outcome.usage === null,
			latencyMs: createdAt - turn.startedAt,
			finishReason: outcome.finishReason,
			requestId: turn.request.requestId,
			metadata: turn.grounding.citations.length > 0 ? { citations: turn.grounding.citations } : null,
			createdAt,
		};
		await store.interactions.record({
			interaction,
			...(turn.isNewConversation && turn.conversationId
				? { newConversation: { id: turn.conversationId, title: titleFromPrompt(turn.request.prompt), createdAt } }
				: {}),
		});
		// Learning from the message happens after the answer is safe, and never delays it.
		options.memory?.observe(turn.request.principal, {
			message: turn.request.prompt,
			interactionId: interaction.id,
			model: { provider: turn.resolved.provider, model: turn.resolved.model },
		});
		return {
			interactionId: interaction.id,
			conversationId: interaction.conversationId,
			model: interaction.model,
			provider: interaction.provider,
			prompt: interaction.prompt,
			response: interaction.response,
			usage,
			usageEstimated: interaction.usageEstimated,
			finishReason: outcome.finishReason,
			latencyMs: interaction.latencyMs,
			attempts: outcome.attempts,
			createdAt,
			citations: turn.grounding.citations,
			passages: turn.grounding.passages,
		};
	}

	const modelRequest = (turn: PreparedTurn) => ({
		messages: turn.messages,
		temperature: turn.request.temperature,
		maxTokens: turn.request.maxTokens,
	});

	return {
		/** One turn, answered whole. */
		async complete(request: ChatRequest): Promise<ChatTurn> {
			const turn = await prepare(request);
			const result = await models.complete(turn.resolved, modelRequest(turn), {
				signal: request.signal,
				credentials: turn.credentials,
			});
			return persist(turn, result);
		},

		/**
		 * One turn, streamed. The model is read to the end and the turn stored even if the caller
		 * stops reading `deltas` (a client that disconnects still gets its answer in history).
		 */
		async stream(request: ChatRequest): Promise<ChatStream> {
			const turn = await prepare(request);
			const deltas = createAsyncQueue<string>();
			const parts = models.stream(turn.resolved, modelRequest(turn), { credentials: turn.credentials });
			const completion = (async () => {
				let text = "";
				let finish: Extract<ModelStreamPart, { type: "finish" }> | undefined;
				try {
					for await (const part of parts) {
						if (part.type === "text-delta") {
							text += part.text;
							deltas.push(part.text);
						} else {
							finish = part;
						}
					}
					const stored = await persist(turn, {
						text,
						finishReason: finish?.finishReason ?? "stop",
						usage: finish?.usage ?? null,
						attempts: 1,
					});
					deltas.close();
					return stored;
				} catch (error) {
					deltas.fail(error);
					throw error;
				}
			})();
			// The route observes failures through `deltas`; this keeps Node from calling them unhandled.
			completion.catch(() => undefined);
			return {
				interactionId: turn.interactionId,
				conversationId: turn.conversationId,
				model: turn.resolved.id,
				citations: turn.grounding.citations,
				deltas,
				completion,
			};
		},
	};
}
