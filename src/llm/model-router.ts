import { type Config, defaultModelByProvider, type LlmProviderName, llmProviderNames } from "../config.js";
import { AppError } from "../errors.js";
import type { Metrics } from "../observability/metrics.js";
import { type CallRoute, createCallRoute } from "./call-route.js";
import { createAdapters, createUserKeyAdapters } from "./create-adapters.js";
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
	type TokenUsage,
} from "./model-port.js";
import { toTokenUsage } from "./openai-wire/chat-completions-format.js";
import { type CircuitStatus, markNotAboutProviderHealth } from "./resilience.js";
import { providerNotConfigured } from "./router-errors.js";
import {
	type ForwardedChatCompletionsStream,
	type OpenedUpstream,
	observeForwardedStream,
	openUpstream,
} from "./router-streams.js";

export type { ForwardedChatCompletionsStream } from "./router-streams.js";

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

export interface ModelRouter {
	/**
	 * Throws AppError("unknown_model") when no provider serves the id. Providers users may bring
	 * their own key for resolve even without a server key (`serverCredentials: false`); calling
	 * them without credentials throws unknown_model before anything is sent.
	 */
	resolve(modelId?: string | null): ResolvedModel;
	complete(
		resolved: ResolvedModel,
		request: Omit<ChatModelRequest, "model">,
		options?: ModelCallOptions,
	): Promise<ModelResult & { attempts: number }>;
	/** Retried until the first part arrives, never after. */
	stream(
		resolved: ResolvedModel,
		request: Omit<ChatModelRequest, "model">,
		options?: ModelCallOptions,
	): AsyncIterable<ModelStreamPart>;
	forwardJson(
		resolved: ResolvedModel,
		body: Record<string, unknown>,
		options?: ModelCallOptions,
	): Promise<PassThroughJsonResponse & { attempts: number }>;
	/** Retried until the upstream answers 2xx. The stream must be iterated to its end or return()ed. */
	forwardStream(
		resolved: ResolvedModel,
		body: Record<string, unknown>,
		options?: ModelCallOptions,
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

	function unknownModel(detail: string): AppError {
		return new AppError("unknown_model", { detail });
	}

	function resolveUncached(requested: string): ResolvedModel {
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
	function credentialsFor(resolved: ResolvedModel, options: ModelCallOptions | undefined) {
		const credentials = options?.credentials;
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

	return {
		resolve,

		async complete(resolved, request, options) {
			const credentials = credentialsFor(resolved, options);
			const route = routeFor(resolved, credentials);
			const startedAt = now();
			const signal = options?.signal;
			const upstreamRequest: ChatModelRequest = { ...request, model: resolved.model };
			try {
				const { value, attempts } = await route.resilience.execute((attempt) => {
					route.countAttempt();
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
			const credentials = credentialsFor(resolved, options);
			const route = routeFor(resolved, credentials);
			const startedAt = now();
			const signal = options?.signal;
			const upstreamRequest: ChatModelRequest = { ...request, model: resolved.model };
			let opened: OpenedUpstream<IteratorResult<ModelStreamPart>> & { iterator: AsyncIterator<ModelStreamPart> };
			try {
				({ value: opened } = await route.resilience.execute(
					(attempt) =>
						openUpstream(attempt.signal, signal, async (upstreamSignal) => {
							route.countAttempt();
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
			let completed = false;
			try {
				let next = opened.value;
				let usage: TokenUsage | null = null;
				while (!next.done) {
					if (next.value.type === "finish") usage = next.value.usage;
					yield next.value;
					try {
						next = await opened.iterator.next();
					} catch (error) {
						throw route.fail(error, startedAt, signal, credentials !== undefined);
					}
				}
				completed = true;
				route.recordSuccess(startedAt, usage);
			} finally {
				opened.release();
				if (!completed) {
					opened.abort();
					await opened.iterator.return?.().catch(() => {});
				}
			}
		},

		async forwardJson(resolved, body, options) {
			const credentials = credentialsFor(resolved, options);
			const passThrough = passThroughOf(resolved);
			const route = routeFor(resolved, credentials);
			const startedAt = now();
			const signal = options?.signal;
			try {
				const { value, attempts } = await route.resilience.execute((attempt) => {
					route.countAttempt();
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
			const credentials = credentialsFor(resolved, options);
			const passThrough = passThroughOf(resolved);
			const route = routeFor(resolved, credentials);
			const startedAt = now();
			const signal = options?.signal;
			let opened: OpenedUpstream<AsyncIterable<Uint8Array>>;
			try {
				({ value: opened } = await route.resilience.execute(
					(attempt) =>
						openUpstream(attempt.signal, signal, async (upstreamSignal) => {
							route.countAttempt();
							const call = passThrough.forwardStream(body, { signal: upstreamSignal, credentials });
							return { value: await (credentials === undefined ? call : call.catch(ownKeyFailure)) };
						}),
					signal,
				));
			} catch (error) {
				throw route.fail(error, startedAt, signal, credentials !== undefined);
			}
			return observeForwardedStream(opened, route, startedAt, signal);
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
