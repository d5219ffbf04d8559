import type { Principal } from "../auth/principal.js";
import type { ResponseCache } from "../cache/response-cache.js";
import { AppError } from "../errors.js";
import type { ChatMessage, FinishReason, ProviderCredentials, TokenUsage } from "../llm/model-port.js";
import type { ModelChain, ModelRouter, ResolvedModel } from "../llm/model-router.js";
import { estimateUsage } from "../llm/token-estimate.js";
import type { ProviderCredentialSource } from "../provider-keys/provider-key-service.js";
import { newId } from "../store/ids.js";
import type { RecordInteractionInput, Store } from "../store/store-port.js";
import type { UsageMeter } from "../usage/usage-meter.js";
import {
	type CacheFlag,
	type CacheOutcome,
	cacheableRequest,
	modelThatAnswered,
	noUsage,
	type ResponseCacheMode,
} from "./answer-cache-policy.js";
import { chainCredentials } from "./chain-credentials.js";
import { chunkFrame, completionObject, contentText, doneFrame, usageFrame } from "./completions-format.js";
import { createEventStreamRewriter } from "./event-stream-rewriter.js";
import { type Citation, citationToWire, type GroundingService } from "./grounding.js";

export interface CompletionMessage {
	role: string;
	content?: unknown;
}

/** A validated Chat Completions request body; fields Parley does not know are kept and forwarded. */
export interface CompletionBody extends Record<string, unknown> {
	model?: string | undefined;
	/** Models to try in order (OpenRouter's `models`), after `model` when given. Not forwarded. */
	models?: string[] | undefined;
	messages: CompletionMessage[];
	stream?: boolean | undefined;
	stream_options?: { include_usage?: boolean | undefined } | null | undefined;
	temperature?: number | null | undefined;
	top_p?: number | null | undefined;
	max_tokens?: number | null | undefined;
	max_completion_tokens?: number | null | undefined;
	stop?: string | string[] | null | undefined;
	seed?: number | null | undefined;
	n?: number | null | undefined;
	/** Parley's extension: the response cache (see the chat body's `cache`). Not forwarded. */
	cache?: CacheFlag;
	/** Parley's extension: ground the answer on retrieved passages (opt-in here). Not forwarded. */
	rag?: boolean | undefined;
	k?: number | undefined;
	collection?: string | undefined;
}

export interface CompletionCaller {
	principal: Principal;
	requestId: string;
}

/** Which model answered and what it took, for the response headers. */
export interface CompletionRouting {
	/** Public id of the model that answered. */
	model: string;
	/** Attempts across retries and fallbacks. */
	attempts: number;
	fallbacks: number;
}

export interface CompletionStream extends CompletionRouting {
	/** Bytes or text frames for the client, in order. Iterate to the end: the call is recorded when it ends. */
	frames: AsyncIterable<Uint8Array | string>;
}

export type CompletionsService = ReturnType<typeof createCompletionsService>;

/**
 * POST /v1/chat/completions. Upstreams that speak Chat Completions get the request as validated
 * and their bytes come back untouched (only `model` is rewritten to the upstream's id); other
 * providers are translated through the model port. Every call is recorded with its usage.
 */
export function createCompletionsService(options: {
	store: Store;
	models: ModelRouter;
	/** Budget checks and the cost of each call. */
	usage: UsageMeter;
	grounding?: GroundingService | undefined;
	/** Users' own provider keys; without it every call uses the server's keys. */
	providerKeys?: ProviderCredentialSource | undefined;
	defaultTopK?: number | undefined;
	/** Cached answers for deterministic requests (RESPONSE_CACHE); non-streaming requests only. */
	responseCache?: { cache: ResponseCache; mode: ResponseCacheMode } | undefined;
	now?: () => number;
}) {
	const { store, models } = options;
	const credentialsFor = (caller: CompletionCaller, resolved: ResolvedModel) =>
		options.providerKeys?.credentialsFor(caller.principal.userId, resolved);
	const now = options.now ?? Date.now;

	/**
	 * The body to send: one copy without Parley's own fields (each model of the chain sets its own
	 * `model` on it), and, when `rag` is on, the grounding as a system message after the client's
	 * own system messages.
	 */
	async function prepareBody(caller: CompletionCaller, body: CompletionBody) {
		const { rag, k, collection, models: _chain, cache: _cache, ...upstream } = body;
		if (rag !== true || !options.grounding) {
			return { body: upstream as CompletionBody, citations: [] as Citation[], sharedScopes: undefined };
		}
		const grounding = await options.grounding.ground(caller.principal, lastUserText(body.messages), {
			rag: true,
			k: k ?? options.defaultTopK ?? 4,
			collection,
		});
		const sharedScopes = grounding.sharedScopes;
		if (grounding.systemAddition === "") {
			return { body: upstream as CompletionBody, citations: grounding.citations, sharedScopes };
		}
		const messages = [...body.messages];
		let insertAt = 0;
		while (
			insertAt < messages.length &&
			["system", "developer"].includes((messages[insertAt] as CompletionMessage).role)
		) {
			insertAt++;
		}
		messages.splice(insertAt, 0, { role: "system", content: grounding.systemAddition });
		return { body: { ...upstream, messages } as CompletionBody, citations: grounding.citations, sharedScopes };
	}

	async function record(
		caller: CompletionCaller,
		resolved: ResolvedModel,
		body: CompletionBody,
		outcome: { text: string; finishReason: string; usage: TokenUsage | null; startedAt: number },
		citations: Citation[] = [],
		served?: "exact" | "semantic",
	): Promise<void> {
		const usage = outcome.usage ?? estimateCompletionUsage(body.messages, outcome.text);
		const createdAt = now();
		const input: RecordInteractionInput = {
			interaction: {
				id: newId(),
				userId: caller.principal.userId,
				conversationId: null,
				apiKeyId: caller.principal.apiKeyId,
				endpoint: "completions",
				provider: resolved.provider,
				model: resolved.id,
				system: systemText(body.messages),
				prompt: lastUserText(body.messages),
				response: outcome.text,
				// Outside a conversation nothing trims by this; the whole prompt's count is kept instead.
				promptTextTokens: usage.promptTokens,
				promptTokens: usage.promptTokens,
				completionTokens: usage.completionTokens,
				totalTokens: usage.totalTokens,
				usageEstimated: outcome.usage === null,
				costMicroUsd: null,
				latencyMs: createdAt - outcome.startedAt,
				finishReason: outcome.finishReason,
				requestId: caller.requestId,
				metadata:
					citations.length > 0 || served !== undefined
						? { ...(citations.length > 0 ? { citations } : {}), ...(served ? { cache: served } : {}) }
						: null,
				createdAt,
			},
		};
		// Priced from the model stored as the one that answered, at the price that applies now; the row keeps it.
		input.interaction.costMicroUsd = options.usage.costMicroUsd(input.interaction.model, usage);
		await store.interactions.record(input);
		options.usage.recorded(input.interaction);
	}

	/**
	 * Before any other work, and so before any model call: a caller over budget, or who may not use
	 * a model of the chain, learns it at once. Returns the caller's credentials per model.
	 */
	async function admit(caller: CompletionCaller, chain: ModelChain<ResolvedModel>) {
		const budgetCheck = options.usage.check(caller.principal);
		if (budgetCheck !== undefined) await budgetCheck;
		return chainCredentials(chain, options.providerKeys && ((model) => credentialsFor(caller, model)));
	}

	/** The response cache's key parts for a request, or undefined when it is not cacheable. */
	function cacheableCompletion(
		caller: CompletionCaller,
		chain: ModelChain<ResolvedModel>,
		requestBody: CompletionBody,
		body: CompletionBody,
		sharedScopes: string[] | undefined,
		credentialsOf: (model: ResolvedModel) => ProviderCredentials | undefined,
	) {
		if (options.responseCache === undefined) return undefined;
		const { messages, model: _model, stream: _stream, stream_options: _streamOptions, ...parameters } = body;
		const earlier = messages.slice(0, -1);
		return cacheableRequest({
			mode: options.responseCache.mode,
			flag: requestBody.cache,
			temperature: requestBody.temperature,
			userId: caller.principal.userId,
			grounding: { sharedScopes },
			hasHistory: earlier.some((message) => message.role === "user" || message.role === "assistant"),
			ownKey: credentialsOf(chain[0]) !== undefined,
			chain: chain.map((model) => model.id),
			context: { messages: earlier, parameters },
			prompt: contentText(messages.at(-1)?.content),
		});
	}

	/** What of a finished answer the response cache keeps: complete answers only. */
	function keepable(text: string, finishReason: string, usage: TokenUsage | null) {
		return finishReason === "stop" || finishReason === "length"
			? { text, finishReason: finishReason as FinishReason, usage }
			: undefined;
	}

	/** Calls the chain for a non-streaming completion, records the call, and returns the client's body. */
	async function answer(
		caller: CompletionCaller,
		chain: ModelChain<ResolvedModel>,
		body: CompletionBody,
		citations: Citation[],
		startedAt: number,
		credentialsOf: (model: ResolvedModel) => ProviderCredentials | undefined,
	): Promise<CompletionRouting & { body: Uint8Array | string; keep: ReturnType<typeof keepable> }> {
		const {
			value: answer,
			answeredBy: resolved,
			attempts,
			fallbacks,
		} = await models.withFallbacks(
			chain,
			async (candidate, callOptions) => {
				if (!candidate.adapter.chatCompletions) {
					return { translated: await models.complete(candidate, translatedRequest(body), callOptions) };
				}
				body.model = candidate.model;
				return { forwarded: await models.forwardJson(candidate, body, callOptions) };
			},
			{ credentialsFor: credentialsOf },
		);
		const routing = { model: resolved.id, attempts, fallbacks };
		if (answer.forwarded) {
			const result = answer.forwarded;
			const choice = (
				result.json.choices as Array<{ message?: { content?: unknown }; finish_reason?: string }> | undefined
			)?.[0];
			const outcome = {
				text: contentText(choice?.message?.content),
				finishReason: choice?.finish_reason ?? "stop",
				usage: readUsage(result.json.usage),
				startedAt,
			};
			await record(caller, resolved, body, outcome, citations);
			const keep = keepable(outcome.text, outcome.finishReason, outcome.usage);
			// The upstream's bytes go back untouched unless there are citations to add.
			if (citations.length === 0) return { body: result.body, ...routing, keep };
			const withCitations = { ...result.json, citations: citations.map(citationToWire) };
			return { body: JSON.stringify(withCitations), ...routing, keep };
		}
		const result = answer.translated;
		const usage = result.usage ?? estimateCompletionUsage(body.messages, result.text);
		await record(caller, resolved, body, { ...result, usage, startedAt }, citations);
		const completion = completionObject({
			id: `chatcmpl-${newId()}`,
			created: Math.floor(startedAt / 1000),
			model: resolved.id,
			text: result.text,
			finishReason: result.finishReason,
			usage,
		});
		const payload = citations.length > 0 ? { ...completion, citations: citations.map(citationToWire) } : completion;
		return { body: JSON.stringify(payload), ...routing, keep: keepable(result.text, result.finishReason, usage) };
	}

	return {
		/** The models to try; unknown ids are refused here, before anything is called. */
		resolve: (body: CompletionBody): ModelChain<ResolvedModel> => models.resolveChain(body.model, body.models),

		async json(
			caller: CompletionCaller,
			chain: ModelChain<ResolvedModel>,
			requestBody: CompletionBody,
		): Promise<CompletionRouting & { body: Uint8Array | string; cache?: CacheOutcome | undefined }> {
			const startedAt = now();
			const credentialsOf = await admit(caller, chain);
			const { body, citations, sharedScopes } = await prepareBody(caller, requestBody);
			const cacheable = cacheableCompletion(caller, chain, requestBody, body, sharedScopes, credentialsOf);
			const hit = cacheable && (await options.responseCache?.cache.lookup(cacheable));
			if (hit) {
				const answeredBy = modelThatAnswered(models, hit.answer.model, chain[0]);
				const outcome = { text: hit.answer.text, finishReason: hit.answer.finishReason, usage: noUsage, startedAt };
				await record(caller, answeredBy, body, outcome, citations, hit.kind);
				const cachedBody =
					hit.answer.body ??
					JSON.stringify(
						completionObject({
							id: `chatcmpl-${newId()}`,
							created: Math.floor(startedAt / 1000),
							model: answeredBy.id,
							text: hit.answer.text,
							finishReason: hit.answer.finishReason,
							usage: hit.answer.usage ?? noUsage,
						}),
					);
				return { body: cachedBody, model: answeredBy.id, attempts: 0, fallbacks: 0, cache: hit.kind };
			}
			const { keep, ...answered } = await answer(caller, chain, body, citations, startedAt, credentialsOf);
			if (cacheable === undefined) return answered;
			if (keep !== undefined) {
				const text = typeof answered.body === "string" ? answered.body : Buffer.from(answered.body).toString("utf8");
				await options.responseCache?.cache.remember(cacheable, { ...keep, model: answered.model, body: text });
			}
			return { ...answered, cache: "miss" };
		},

		/** Resolves once the upstream has started answering, so failures before that keep their HTTP status. */
		async stream(
			caller: CompletionCaller,
			chain: ModelChain<ResolvedModel>,
			requestBody: CompletionBody,
		): Promise<CompletionStream> {
			const startedAt = now();
			const credentialsOf = await admit(caller, chain);
			const { body, citations } = await prepareBody(caller, requestBody);
			const citationsEvent = citationFrame(citations);
			const clientWantsUsage = body.stream_options?.include_usage === true;
			// Usage is always asked for, for accounting; clients that did not ask don't get the extra chunk.
			const forwardedBody = { ...body, stream_options: { ...(body.stream_options ?? {}), include_usage: true } };
			const {
				value: opened,
				answeredBy: resolved,
				attempts,
				fallbacks,
			} = await models.withFallbacks(
				chain,
				async (candidate, callOptions) => {
					if (!candidate.adapter.chatCompletions) {
						return { parts: await models.openStream(candidate, translatedRequest(body), callOptions) };
					}
					forwardedBody.model = candidate.model;
					return { chunks: await models.forwardStream(candidate, forwardedBody, callOptions) };
				},
				{ credentialsFor: credentialsOf },
			);
			const routing = { model: resolved.id, attempts, fallbacks };
			if (opened.chunks) {
				const chunks = opened.chunks;
				const filter =
					clientWantsUsage && citationsEvent === undefined
						? undefined
						: createEventStreamRewriter({ dropUsage: !clientWantsUsage, beforeDone: citationsEvent });
				return {
					...routing,
					frames: (async function* () {
						for await (const chunk of chunks) {
							if (filter) {
								const kept = filter.push(chunk);
								if (kept.length > 0) yield kept;
							} else {
								yield chunk;
							}
						}
						if (filter) {
							const rest = filter.flush();
							if (rest.length > 0) yield rest;
						}
						const seen = chunks.summary();
						const outcome = {
							text: seen?.text ?? "",
							finishReason: seen?.finishReason ?? "stop",
							usage: seen?.usage ?? null,
							startedAt,
						};
						await record(caller, resolved, body, outcome, citations);
					})(),
				};
			}
			const parts = opened.parts;
			const base = { id: `chatcmpl-${newId()}`, created: Math.floor(startedAt / 1000), model: resolved.id };
			return {
				...routing,
				frames: (async function* () {
					yield chunkFrame(base, { role: "assistant", content: "" }, null);
					let text = "";
					let finishReason: FinishReason = "stop";
					let usage: TokenUsage | null = null;
					for await (const part of parts) {
						if (part.type === "text-delta") {
							text += part.text;
							yield chunkFrame(base, { content: part.text }, null);
						} else {
							finishReason = part.finishReason;
							usage = part.usage;
						}
					}
					yield chunkFrame(base, {}, finishReason);
					const finalUsage = usage ?? estimateCompletionUsage(body.messages, text);
					if (clientWantsUsage) yield usageFrame(base, finalUsage);
					if (citationsEvent !== undefined) yield citationsEvent;
					yield doneFrame;
					await record(caller, resolved, body, { text, finishReason, usage: finalUsage, startedAt }, citations);
				})(),
			};
		},
	};
}

/** A chunk without choices carrying the citations, sent just before `data: [DONE]`. */
function citationFrame(citations: Citation[]): string | undefined {
	if (citations.length === 0) return undefined;
	const chunk = { object: "chat.completion.chunk", choices: [], citations: citations.map(citationToWire) };
	return `data: ${JSON.stringify(chunk)}\n\n`;
}

function translatedRequest(body: CompletionBody) {
	if (body.n !== undefined && body.n !== null && body.n !== 1) {
		throw new AppError("validation_failed", { detail: "n > 1 needs a provider that speaks Chat Completions" });
	}
	const messages: ChatMessage[] = body.messages.map((message) => {
		const role = message.role === "developer" ? "system" : message.role;
		if (role !== "system" && role !== "user" && role !== "assistant") {
			throw new AppError("validation_failed", {
				detail: `messages with role '${message.role}' need a provider that speaks Chat Completions`,
			});
		}
		return { role, content: contentText(message.content) };
	});
	const stop =
		body.stop === null || body.stop === undefined ? undefined : Array.isArray(body.stop) ? body.stop : [body.stop];
	return {
		messages,
		temperature: body.temperature ?? undefined,
		topP: body.top_p ?? undefined,
		maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
		stop,
		seed: body.seed ?? undefined,
	};
}

function readUsage(value: unknown): TokenUsage | null {
	if (!value || typeof value !== "object") return null;
	const usage = value as { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown };
	if (typeof usage.prompt_tokens !== "number" || typeof usage.completion_tokens !== "number") return null;
	return {
		promptTokens: usage.prompt_tokens,
		completionTokens: usage.completion_tokens,
		totalTokens:
			typeof usage.total_tokens === "number" ? usage.total_tokens : usage.prompt_tokens + usage.completion_tokens,
	};
}

/** The completion request's messages as plain text, for estimates when the provider reports no usage. */
export const estimateCompletionUsage = (messages: CompletionMessage[], text: string): TokenUsage =>
	estimateUsage(
		messages.map((message) => ({ role: "user" as const, content: contentText(message.content) })),
		text,
	);

function lastUserText(messages: CompletionMessage[]): string {
	for (let index = messages.length - 1; index >= 0; index--) {
		const message = messages[index] as CompletionMessage;
		if (message.role === "user") return contentText(message.content);
	}
	return "";
}

function systemText(messages: CompletionMessage[]): string | null {
	const system = messages.find((message) => message.role === "system" || message.role === "developer");
	return system ? contentText(system.content) : null;
}
