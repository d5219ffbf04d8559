import { type Config, ConfigError, defaultModelByProvider, type LlmProviderName, llmProviderNames } from "../config.js";
import { AppError } from "../errors.js";
import type { Metrics } from "../observability/metrics.js";
import { type CallRoute, createCallRoute } from "./call-route.js";
import { createAdapters, createUserKeyAdapters } from "./create-adapters.js";
import { type AttemptTally, createFallbackRunner, type ModelChain, type WithFallbacks } from "./fallback-chain.js";
import { createMockModel, mockProviderName } from "./mock/mock-model.js";
import { knownContextWindow, mockModelId, providerSetting } from "./model-catalog.js";
import {
	type ChatModelRequest,
	type LanguageModelAdapter,
	type ModelCallOptions,
	type ModelResult,
	type ModelStreamPart,
	type PassThroughJsonResponse,
	ProviderCallError,
	type ProviderCredentials,
} from "./model-port.js";
import { toTokenUsage } from "./openai-wire/chat-completions-format.js";
import { type CircuitStatus, markNotAboutProviderHealth } from "./resilience.js";
import { providerNotConfigured } from "./router-errors.js";
import {
	type ForwardedChatCompletionsStream,
	type HeldUpstreamStream,
	type OpenedPartStream,
	type OpenedUpstream,
	observeForwardedStream,
	openUpstream,
	partsAfterOpening,
	readUntilAnswer,
} from "./router-streams.js";

export type { ModelChain } from "./fallback-chain.js";
export type { ForwardedChatCompletionsStream, OpenedPartStream } from "./router-streams.js";

export interface ResolvedModel {
	/** Public id, "provider/model". */
	id: string;
	provider: string;
	/** The upstream's own model id. */
	model: string;
	adapter: LanguageModelAdapter;
	/**
	 * True when this server can call the provider on its own (a configured key, or none needed);
	 * false for a provider served only with users' own keys (ModelCallOptions.credentials).
	 */
	serverCredentials: boolean;
}

export interface ProviderStatus {
	provider: string;
	configured: boolean;
	circuit: CircuitStatus;
}

/** Options of one model's call; `tally` counts its attempts into a whole chain's. */
export interface RoutedCallOptions extends ModelCallOptions {
	tally?: AttemptTally | undefined;
}

export interface ModelRouter {
	/** Throws AppError("unknown_model") when no configured provider serves the id. */
	resolve(modelId?: string | null): ResolvedModel;
	/**
	 * The models to try for a request, in order: `modelId` (when given) then `models` (a request's
	 * own list, as OpenRouter's `models`), or, without such a list, the requested model then
	 * LLM_FALLBACKS. Duplicates are dropped. Throws unknown_model for any id no provider serves.
	 */
	resolveChain(modelId?: string | null, models?: readonly string[]): ModelChain<ResolvedModel>;
	/** Calls `call` with each model of the chain in turn until one succeeds or fails for good. */
	withFallbacks: WithFallbacks;
	complete(
		resolved: ResolvedModel,
		request: Omit<ChatModelRequest, "model">,
		options?: RoutedCallOptions,
	): Promise<ModelResult & { attempts: number }>;
	/** Retried until the first part arrives, never after. */
	stream(
		resolved: ResolvedModel,
		request: Omit<ChatModelRequest, "model">,
		options?: RoutedCallOptions,
	): AsyncIterable<ModelStreamPart>;
	/** Resolves once the first part arrived (retried until then, never after); iterate to the end or return(). */
	openStream(
		resolved: ResolvedModel,
		request: Omit<ChatModelRequest, "model">,
		options?: RoutedCallOptions,
	): Promise<OpenedPartStream>;
	forwardJson(
		resolved: ResolvedModel,
		body: Record<string, unknown>,
		options?: RoutedCallOptions,
	): Promise<PassThroughJsonResponse & { attempts: number }>;
	/**
	 * Retried until the upstream's answer begins (its first text, finish_reason or [DONE]); the
	 * bytes before that are held back so that no byte of a failed attempt reaches the client. The
	 * stream must be iterated to its end or return()ed.
	 */
	forwardStream(
		resolved: ResolvedModel,
		body: Record<string, unknown>,
		options?: RoutedCallOptions,
	): Promise<ForwardedChatCompletionsStream>;
	contextWindow(resolved: ResolvedModel): number;
	listModels(): Array<{ id: string; provider: string }>;
	providerStatus(): ProviderStatus[];
	close(): Promise<void>;
}

export interface ModelRouterDependencies {
	config: Config["llm"];
	metrics: Metrics;
	/** Replaces the adapters built from config (tests). The mock is added when missing. */
	adapters?: Map<string, LanguageModelAdapter>;
	/** Milliseconds, for durations and the circuit's Retry-After; performance.now() unless given. */
	clock?: { now(): number };
}

const modelIdPattern = /^[\x21-\x7e]{1,200}$/;

/** Resolutions and per-model state are cached; ids come from clients, so both are bounded. */
const maxCachedModels = 1000;

const circuitSeverity: Record<CircuitStatus, number> = { closed: 0, "half-open": 1, open: 2 };

export function createModelRouter(dependencies: ModelRouterDependencies): ModelRouter {
	const { config, metrics } = dependencies;
	const clock = dependencies.clock;
	const now = clock === undefined ? () => performance.now() : () => clock.now();
	const adapters = new Map(dependencies.adapters ?? createAdapters(config));
	if (!adapters.has(mockProviderName)) adapters.set(mockProviderName, createMockModel(config.mock));
	const serverConfigured = new Set(adapters.keys());
	for (const [provider, adapter] of createUserKeyAdapters(config, serverConfigured)) adapters.set(provider, adapter);
	const providerNames = new Set<string>(llmProviderNames);
	const resolutions = new Map<string, ResolvedModel>();
	const routes = new Map<string, CallRoute>();
	const withFallbacks = createFallbackRunner({ metrics, totalTimeoutMs: config.totalTimeoutMs });

	function unknownModel(detail: string): AppError {
		return new AppError("unknown_model", { detail });
	}

	function resolveUncached(requested: string): ResolvedModel {
		// Ids travel into headers (x-parley-model), logs and upstream URLs: visible ASCII only.
		if (!modelIdPattern.test(requested)) {
			throw unknownModel("Model ids are 1 to 200 visible ASCII characters, without spaces or line breaks.");
		}
		const slash = requested.indexOf("/");
		const prefix = slash === -1 ? undefined : requested.slice(0, slash);
		if (prefix !== undefined && providerNames.has(prefix)) {
			const model = requested.slice(slash + 1);
			const adapter = adapters.get(prefix);
			if (adapter === undefined) {
				throw unknownModel(
					`Model "${requested}" needs the ${prefix} provider, which is not configured on this server (set ${providerSetting[prefix as LlmProviderName]}).`,
				);
			}
			if (model.length === 0) throw unknownModel(`Model id "${requested}" names a provider but no model.`);
			return { id: requested, provider: prefix, model, adapter, serverCredentials: serverConfigured.has(prefix) };
		}
		const adapter = adapters.get(config.provider);
		if (adapter === undefined) {
			throw unknownModel(
				`Model "${requested}" would go to the default provider ${config.provider}, which is not set up.`,
			);
		}
		return {
			id: `${config.provider}/${requested}`,
			provider: config.provider,
			model: requested,
			adapter,
			serverCredentials: serverConfigured.has(config.provider),
		};
	}

	function resolve(modelId?: string | null): ResolvedModel {
		const requested = modelId?.trim() || config.defaultModel;
		let resolved = resolutions.get(requested);
		if (resolved === undefined) {
			resolved = resolveUncached(requested);
			if (resolutions.size >= maxCachedModels) resolutions.clear();
			resolutions.set(requested, resolved);
		}
		return resolved;
	}

	/**
	 * Per provider and model; calls with a user's own base URL (their own server) get a route, and
	 * so a breaker, of their own: one user's server being down says nothing about another's.
	 */
	function routeFor(resolved: ResolvedModel, credentials: ProviderCredentials | undefined): CallRoute {
		const key = `${resolved.provider}\u0000${resolved.model}\u0000${credentials?.baseUrl ?? ""}`;
		let route = routes.get(key);
		if (route === undefined) {
			if (routes.size >= maxCachedModels) evictClosedRoute();
			route = createCallRoute({
				provider: resolved.provider,
				model: resolved.model,
				modelId: resolved.id,
				settings: config,
				adapterEnforcesTimeouts: resolved.adapter.enforcesTimeouts === true,
				metrics,
				now,
			});
			routes.set(key, route);
		}
		return route;
	}

	function evictClosedRoute(): void {
		for (const [key, route] of routes) {
			if (route.resilience.circuit() === "closed") {
				routes.delete(key);
				return;
			}
		}
	}

	/** A provider served only with users' keys is never called without one (it would go unauthenticated). */
	function checkedCredentials(resolved: ResolvedModel, credentials: ProviderCredentials | undefined) {
		if (credentials === undefined && !resolved.serverCredentials) {
			throw providerNotConfigured(resolved.id, resolved.provider);
		}
		return credentials;
	}

	/** With a user's own key, a 429 is their quota: retried, but not counted against the provider. */
	function ownKeyFailure(error: unknown): never {
		if (error instanceof ProviderCallError && error.status === 429) markNotAboutProviderHealth(error);
		throw error;
	}

	function passThroughOf(resolved: ResolvedModel) {
		const passThrough = resolved.adapter.chatCompletions;
		if (passThrough === undefined) {
			throw unknownModel(
				`Model "${resolved.id}" is served through the ${resolved.provider} API, which Parley cannot forward Chat Completions requests to as they are.`,
			);
		}
		return passThrough;
	}

	// A fallback no provider serves is a configuration mistake: refuse to start rather than fail later.
	const configuredFallbacks = config.fallbacks.map((id) => {
		try {
			const resolved = resolve(id);
			// Every user falls back to it: users' own keys cannot be assumed.
			if (!resolved.serverCredentials) throw providerNotConfigured(resolved.id, resolved.provider);
			return resolved;
		} catch (error) {
			throw new ConfigError([`LLM_FALLBACKS: ${error instanceof AppError ? error.detail : String(error)}`]);
		}
	});

	function resolveChain(modelId?: string | null, models?: readonly string[]): ModelChain<ResolvedModel> {
		const ownList = models !== undefined && models.length > 0;
		const first = !ownList || modelId?.trim() ? resolve(modelId) : resolve(models[0]);
		// The common case, on every request: one model, nothing to merge.
		if (!ownList && configuredFallbacks.length === 0) return [first];
		const chain: [ResolvedModel, ...ResolvedModel[]] = [first];
		for (const next of ownList ? models.map((id) => resolve(id)) : configuredFallbacks) {
			if (!chain.some((model) => model.id === next.id)) chain.push(next);
		}
		return chain;
	}

	function callOptions(resolved: ResolvedModel, options: RoutedCallOptions | undefined) {
		const tally = options?.tally;
		const credentials = checkedCredentials(resolved, options?.credentials);
		return { signal: options?.signal, credentials, tally, route: routeFor(resolved, credentials) };
	}

	/** Idle bound for streams of adapters that do not bound silences themselves. */
	function idleTimeoutFor(resolved: ResolvedModel): number | undefined {
		return resolved.adapter.enforcesTimeouts === true ? undefined : config.streamIdleTimeoutMs;
	}

	async function openStream(
		resolved: ResolvedModel,
		request: Omit<ChatModelRequest, "model">,
		options?: RoutedCallOptions,
	): Promise<OpenedPartStream> {
		const { signal, credentials, tally, route } = callOptions(resolved, options);
		const startedAt = now();
		const upstreamRequest: ChatModelRequest = { ...request, model: resolved.model };
		let opened: OpenedUpstream<IteratorResult<ModelStreamPart>> & { iterator: AsyncIterator<ModelStreamPart> };
		let attempts: number;
		try {
			({ value: opened, attempts } = await route.resilience.execute(
				(attempt) =>
					openUpstream(attempt.signal, signal, async (upstreamSignal) => {
						route.countAttempt();
						if (tally) tally.attempts++;
						const iterator = resolved.adapter
							.stream(upstreamRequest, { signal: upstreamSignal, credentials })
							[Symbol.asyncIterator]();
						try {
							return { iterator, value: await iterator.next() };
						} catch (error) {
							await iterator.return?.().catch(() => {});
							if (credentials !== undefined) ownKeyFailure(error);
							throw error;
						}
					}),
				signal,
			));
		} catch (error) {
			throw route.fail(error, startedAt, signal, credentials !== undefined);
		}
		return partsAfterOpening(opened, route, startedAt, signal, idleTimeoutFor(resolved), attempts);
	}

	return {
		resolve,
		resolveChain,
		withFallbacks,

		async complete(resolved, request, options) {
			const { signal, credentials, tally, route } = callOptions(resolved, options);
			const startedAt = now();
			const upstreamRequest: ChatModelRequest = { ...request, model: resolved.model };
			try {
				const { value, attempts } = await route.resilience.execute((attempt) => {
					route.countAttempt();
					if (tally) tally.attempts++;
					const call = resolved.adapter.complete(upstreamRequest, { signal: attempt.signal, credentials });
					return credentials === undefined ? call : call.catch(ownKeyFailure);
				}, signal);
				route.recordSuccess(startedAt, value.usage);
				return { text: value.text, finishReason: value.finishReason, usage: value.usage, attempts };
			} catch (error) {
				throw route.fail(error, startedAt, signal, credentials !== undefined);
			}
		},

		async *stream(resolved, request, options) {
			yield* await openStream(resolved, request, options);
		},

		openStream,

		async forwardJson(resolved, body, options) {
			const { signal, credentials, tally, route } = callOptions(resolved, options);
			const passThrough = passThroughOf(resolved);
			const startedAt = now();
			try {
				const { value, attempts } = await route.resilience.execute((attempt) => {
					route.countAttempt();
					if (tally) tally.attempts++;
					const call = passThrough.forwardJson(body, { signal: attempt.signal, credentials });
					return credentials === undefined ? call : call.catch(ownKeyFailure);
				}, signal);
				route.recordSuccess(startedAt, toTokenUsage(value.json.usage));
				return { body: value.body, json: value.json, attempts };
			} catch (error) {
				throw route.fail(error, startedAt, signal, credentials !== undefined);
			}
		},

		async forwardStream(resolved, body, options) {
			const { signal, credentials, tally, route } = callOptions(resolved, options);
			const passThrough = passThroughOf(resolved);
			const startedAt = now();
			let opened: OpenedUpstream<HeldUpstreamStream>;
			let attempts: number;
			try {
				({ value: opened, attempts } = await route.resilience.execute(
					(attempt) =>
						openUpstream(attempt.signal, signal, async (upstreamSignal) => {
							route.countAttempt();
							if (tally) tally.attempts++;
							const call = passThrough.forwardStream(body, { signal: upstreamSignal, credentials });
							const chunks = await (credentials === undefined ? call : call.catch(ownKeyFailure));
							return { value: await readUntilAnswer(resolved.provider, chunks) };
						}),
					signal,
				));
			} catch (error) {
				throw route.fail(error, startedAt, signal, credentials !== undefined);
			}
			return observeForwardedStream(opened, route, startedAt, signal, attempts);
		},

		contextWindow(resolved) {
			if (resolved.provider === mockProviderName) return config.defaultContextTokens;
			return knownContextWindow(resolved.model) ?? config.defaultContextTokens;
		},

		listModels() {
			const candidates: string[] = [];
			for (const provider of llmProviderNames) {
				if (provider !== mockProviderName && serverConfigured.has(provider)) {
					candidates.push(`${provider}/${defaultModelByProvider[provider]}`);
				}
			}
			candidates.push(config.defaultModel, ...config.advertisedModels, mockModelId);
			const models = new Map<string, { id: string; provider: string }>();
			for (const candidate of candidates) {
				try {
					const resolved = resolve(candidate);
					// Models only users' own keys can reach are not offered to everyone.
					if (resolved.serverCredentials && !models.has(resolved.id))
						models.set(resolved.id, { id: resolved.id, provider: resolved.provider });
				} catch {
					// An advertised model whose provider is not configured is not offered.
				}
			}
			return [...models.values()];
		},

		providerStatus() {
			return llmProviderNames.map((provider) => {
				let circuit: CircuitStatus = "closed";
				for (const route of routes.values()) {
					if (route.provider !== provider) continue;
					const state = route.resilience.circuit();
					if (circuitSeverity[state] > circuitSeverity[circuit]) circuit = state;
				}
				return { provider, configured: serverConfigured.has(provider), circuit };
			});
		},

		async close() {
			await Promise.all([...adapters.values()].map((adapter) => adapter.close?.()));
		},
	};
}
