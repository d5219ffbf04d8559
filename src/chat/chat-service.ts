import type { Principal } from "../auth/principal.js";
import type { CacheableRequest, ResponseCache } from "../cache/response-cache.js";
import { AppError } from "../errors.js";
import type { ChatMessage, FinishReason, ModelStreamPart, ProviderCredentials, TokenUsage } from "../llm/model-port.js";
import type { ModelChain, ModelRouter, ResolvedModel } from "../llm/model-router.js";
import { estimateTokens, estimateUsage } from "../llm/token-estimate.js";
import type { ProviderCredentialSource } from "../provider-keys/provider-key-service.js";
import { newId } from "../store/ids.js";
import type { InteractionEndpoint, InteractionRecord, Store } from "../store/store-port.js";
import type { UsageMeter } from "../usage/usage-meter.js";
import {
	type CacheFlag,
	type CacheOutcome,
	cacheableRequest,
	modelThatAnswered,
	noUsage,
	type ResponseCacheMode,
} from "./answer-cache-policy.js";
import { createAsyncQueue } from "./async-queue.js";
import { chainCredentials } from "./chain-credentials.js";
import { buildConversationMessages, titleFromPrompt } from "./context-window.js";
import { type ChatMemory, type Citation, type Grounding, type GroundingService, groundingTokens } from "./grounding.js";

/** Citations, and how the cache served the turn, as stored with the interaction. */
function interactionMetadata(citations: Citation[], cache: CacheOutcome | undefined): Record<string, unknown> | null {
	const served = cache === "exact" || cache === "semantic" ? { cache } : {};
	if (citations.length === 0 && cache !== "exact" && cache !== "semantic") return null;
	return { ...(citations.length > 0 ? { citations } : {}), ...served };
}

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
	/** Models to try in order (after `model`, when given) instead of LLM_FALLBACKS. */
	models?: string[] | undefined;
	system?: string | undefined;
	temperature?: number | undefined;
	maxTokens?: number | undefined;
	signal?: AbortSignal | undefined;
	/** `true` caches whatever the temperature, `"semantic"` also matches similar questions, `false` never. */
	cache?: CacheFlag;
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
	/** Micro-dollars; null when the model has no price. */
	costMicroUsd: number | null;
	finishReason: FinishReason;
	latencyMs: number;
	/** Attempts across retries and fallbacks. */
	attempts: number;
	/** Models that failed before the one that answered. */
	fallbacks: number;
	createdAt: number;
	/** The retrieved passages the answer was grounded on, numbered as cited. */
	citations: Citation[];
	/** Their texts, in citation order. */
	passages: string[];
	/** How the response cache answered; undefined when the request was not cacheable. */
	cache?: CacheOutcome | undefined;
}

export interface ChatStream {
	interactionId: string;
	conversationId: string | null;
	/** The model answering (the stream opens only once one has begun). */
	model: string;
	attempts: number;
	fallbacks: number;
	citations: Citation[];
	/** Text as it arrives. Throws the failure, if the model fails. */
	deltas: AsyncIterable<string>;
	/** Resolves once the whole turn is stored — whether or not anyone reads `deltas`. */
	completion: Promise<ChatTurn>;
	cache?: CacheOutcome | undefined;
}

interface PreparedTurn {
	request: ChatRequest;
	/** The requested model, first of the chain: the context window is fitted to it. */
	resolved: ResolvedModel;
	chain: ModelChain<ResolvedModel>;
	/** The caller's own provider key for the first model, when they stored one; the server's otherwise. */
	credentialsFor: (model: ResolvedModel) => ProviderCredentials | undefined;
	/** Set when the answer may come from, and go to, the response cache. */
	cacheable: CacheableRequest | undefined;
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
	/** Budget checks and the cost of each call. */
	usage: UsageMeter;
	grounding?: GroundingService | undefined;
	memory?: ChatMemory | undefined;
	/** Users' own provider keys; without it every call uses the server's keys. */
	providerKeys?: ProviderCredentialSource | undefined;
	/** Cached answers for deterministic requests (RESPONSE_CACHE). */
	responseCache?: { cache: ResponseCache; mode: ResponseCacheMode } | undefined;
	/** Passages retrieved per answer when the request does not say (RAG_TOP_K). */
	defaultTopK?: number | undefined;
	now?: () => number;
}) {
	const { store, models } = options;
	const defaultTopK = options.defaultTopK ?? 4;
	const noGrounding: Grounding = { systemAddition: "", citations: [], passages: [] };
	const now = options.now ?? Date.now;

	async function prepare(request: ChatRequest): Promise<PreparedTurn> {
		// Before anything else, and so before the model call: a user over budget costs nothing more.
		// Users without a budget get undefined, and skip even the await.
		const budgetCheck = options.usage.check(request.principal);
		if (budgetCheck !== undefined) await budgetCheck;
		const startedAt = now();
		const userId = request.principal.userId;
		// Read once per turn: the default model, and the memory switch for grounding.
		const user = await store.users.findById(userId);
		// A request's own model list replaces the user's default, as it replaces LLM_FALLBACKS.
		const requestedModel = request.model ?? (request.models === undefined ? user?.defaultModel : undefined);
		const chain = models.resolveChain(requestedModel, request.models);
		const resolved = chain[0];
		// Before any other work: a caller who may not use this model learns it at once.
		const credentialsFor = await chainCredentials(
			chain,
			options.providerKeys && ((model) => options.providerKeys?.credentialsFor(userId, model)),
		);

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
			chain,
			credentialsFor,
			cacheable:
				options.responseCache &&
				cacheableRequest({
					mode: options.responseCache.mode,
					flag: request.cache,
					temperature: request.temperature,
					userId,
					grounding,
					hasHistory: history.length > 0,
					// An answer paid with the caller's own key is theirs alone.
					ownKey: credentialsFor(resolved) !== undefined,
					chain: chain.map((model) => model.id),
					context: {
						messages: built.messages.slice(0, -1),
						temperature: request.temperature,
						maxTokens: request.maxTokens,
					},
					prompt: request.prompt,
				}),
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
		outcome: {
			text: string;
			finishReason: FinishReason;
			usage: TokenUsage | null;
			/** The model that answered: the interaction (and its cost) is its. */
			answeredBy: ResolvedModel;
			attempts: number;
			fallbacks: number;
			cache?: CacheOutcome | undefined;
		},
	): Promise<ChatTurn> {
		const usage = outcome.usage ?? estimateUsage(turn.messages, outcome.text);
		const createdAt = now();
		const interaction: InteractionRecord = {
			id: turn.interactionId,
			userId: turn.request.principal.userId,
			conversationId: turn.conversationId,
			apiKeyId: turn.request.principal.apiKeyId,
			endpoint: turn.request.endpoint,
			provider: outcome.answeredBy.provider,
			model: outcome.answeredBy.id,
			system: turn.system,
			prompt: turn.request.prompt,
			response: outcome.text,
			promptTextTokens: turn.promptTokens,
			promptTokens: usage.promptTokens,
			completionTokens: usage.completionTokens,
			totalTokens: usage.totalTokens,
			usageEstimated: outcome.usage === null,
			costMicroUsd: null,
			latencyMs: createdAt - turn.startedAt,
			finishReason: outcome.finishReason,
			requestId: turn.request.requestId,
			metadata: interactionMetadata(turn.grounding.citations, outcome.cache),
			createdAt,
		};
		// Priced from the model stored as the one that answered, at the price that applies now; the row keeps it.
		interaction.costMicroUsd = options.usage.costMicroUsd(interaction.model, usage);
		await store.interactions.record({
			interaction,
			...(turn.isNewConversation && turn.conversationId
				? { newConversation: { id: turn.conversationId, title: titleFromPrompt(turn.request.prompt), createdAt } }
				: {}),
		});
		options.usage.recorded(interaction);
		// Learning from the message happens after the answer is safe, and never delays it.
		options.memory?.observe(turn.request.principal, {
			message: turn.request.prompt,
			interactionId: interaction.id,
			model: { provider: outcome.answeredBy.provider, model: outcome.answeredBy.model },
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
			costMicroUsd: interaction.costMicroUsd,
			finishReason: outcome.finishReason,
			latencyMs: interaction.latencyMs,
			attempts: outcome.attempts,
			fallbacks: outcome.fallbacks,
			createdAt,
			citations: turn.grounding.citations,
			passages: turn.grounding.passages,
			cache: outcome.cache,
		};
	}

	/** A cached answer for this turn, if the cache has one: stored as a turn that cost nothing. */
	async function fromCache(turn: PreparedTurn): Promise<ChatTurn | undefined> {
		if (turn.cacheable === undefined || options.responseCache === undefined) return undefined;
		const hit = await options.responseCache.cache.lookup(turn.cacheable);
		if (hit === undefined) return undefined;
		const answeredBy = modelThatAnswered(models, hit.answer.model, turn.resolved);
		return persist(turn, {
			text: hit.answer.text,
			finishReason: hit.answer.finishReason,
			usage: noUsage,
			answeredBy,
			attempts: 0,
			fallbacks: 0,
			cache: hit.kind,
		});
	}

	/** Keeps a complete answer for later identical (or similar) requests. */
	async function remember(turn: PreparedTurn, stored: ChatTurn): Promise<ChatTurn> {
		if (turn.cacheable === undefined || options.responseCache === undefined) return stored;
		if (stored.finishReason === "stop" || stored.finishReason === "length") {
			await options.responseCache.cache.remember(turn.cacheable, {
				text: stored.response,
				finishReason: stored.finishReason,
				usage: stored.usage,
				model: stored.model,
			});
		}
		return { ...stored, cache: "miss" };
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
			const cached = await fromCache(turn);
			if (cached !== undefined) return cached;
			const { value, answeredBy, attempts, fallbacks } = await models.withFallbacks(
				turn.chain,
				(resolved, callOptions) => models.complete(resolved, modelRequest(turn), callOptions),
				{ signal: request.signal, credentialsFor: turn.credentialsFor },
			);
			return remember(turn, await persist(turn, { ...value, answeredBy, attempts, fallbacks }));
		},

		/**
		 * One turn, streamed. Resolves once a model's answer has begun (failures before that, fallbacks
		 * exhausted, reject). The model is read to the end and the turn stored even if the caller
		 * stops reading `deltas` (a client that disconnects still gets its answer in history).
		 */
		async stream(request: ChatRequest): Promise<ChatStream> {
			const turn = await prepare(request);
			const deltas = createAsyncQueue<string>();
			const cached = await fromCache(turn);
			if (cached !== undefined) {
				// The whole answer at once: it exists already.
				deltas.push(cached.response);
				deltas.close();
				return {
					interactionId: cached.interactionId,
					conversationId: cached.conversationId,
					model: cached.model,
					attempts: 0,
					fallbacks: 0,
					citations: cached.citations,
					deltas,
					completion: Promise.resolve(cached),
					cache: cached.cache,
				};
			}
			const {
				value: parts,
				answeredBy,
				attempts,
				fallbacks,
			} = await models.withFallbacks(
				turn.chain,
				(resolved, callOptions) => models.openStream(resolved, modelRequest(turn), callOptions),
				{ credentialsFor: turn.credentialsFor },
			);
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
					const stored = await remember(
						turn,
						await persist(turn, {
							text,
							finishReason: finish?.finishReason ?? "stop",
							usage: finish?.usage ?? null,
							answeredBy,
							attempts,
							fallbacks,
						}),
					);
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
				model: answeredBy.id,
				attempts,
				fallbacks,
				citations: turn.grounding.citations,
				deltas,
				completion,
				cache: turn.cacheable === undefined ? undefined : "miss",
			};
		},
	};
}
