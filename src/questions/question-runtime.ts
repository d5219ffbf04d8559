import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { ChatService } from "../chat/chat-service.js";
import type { Config } from "../config.js";
import type { ModelRouter } from "../llm/model-router.js";
import { createMemoryNotifier } from "../notify/memory-notifier.js";
import type { LiveEvent, Notifier } from "../notify/notifier-port.js";
import { observePublished } from "../notify/published-events.js";
import { createRedisNotifier } from "../notify/redis-notifier.js";
import { withSnsPublishing } from "../notify/sns-notifier.js";
import type { Metrics } from "../observability/metrics.js";
import type { ProviderCredentialSource } from "../provider-keys/provider-key-service.js";
import { createBullmqQueue } from "../queue/bullmq/bullmq-queue.js";
import { createEmbeddedQueue } from "../queue/embedded/embedded-queue.js";
import type { JobQueue } from "../queue/queue-port.js";
import { createSqsQueue } from "../queue/sqs/sqs-queue.js";
import type { Store } from "../store/store-port.js";
import { createQuestionService, type QuestionService } from "./question-service.js";
import { createQuestionWorker } from "./question-worker.js";

export const questionQueueName = "questions";

export interface QuestionParts {
	notifier: Notifier;
	queue: JobQueue;
	questions: QuestionService;
	/** Stops the worker (running jobs finish), then releases the queue and the notifier. */
	close(): Promise<void>;
}

/**
 * Wires async questions for the composition root: the notifier (Redis pub/sub when REDIS_URL is
 * set), the queue of QUEUE_BACKEND, the service, and, when this process works the queue, the
 * worker.
 */
export function createQuestionParts(options: {
	config: Config;
	store: Store;
	chat: ChatService;
	models: ModelRouter;
	metrics: Metrics;
	logger: Logger;
	redis: Redis | undefined;
	runWorker: boolean;
	providerKeys?: ProviderCredentialSource | undefined;
	/** Called with each event this process publishes (webhook delivery). */
	onPublished?: ((event: LiveEvent) => void) | undefined;
}): QuestionParts {
	const { config, store, logger, metrics } = options;
	const redisConfig = config.redis;
	const liveNotifier =
		options.redis && redisConfig
			? createRedisNotifier({
					publisher: options.redis,
					url: redisConfig.url,
					keyPrefix: redisConfig.keyPrefix,
					logger,
				})
			: createMemoryNotifier();
	const published =
		config.sns === undefined
			? liveNotifier
			: withSnsPublishing(liveNotifier, { topicArn: config.sns.topicArn, endpoint: config.sns.endpoint, logger });
	const notifier = observePublished(published, options.onPublished);
	const settings = config.queue;
	const queue = createQueue(settings, { store, logger, redis: redisConfig });
	metrics.queueDepthSource.read = () => queue.counts();
	if (options.runWorker) {
		const worker = createQuestionWorker({
			questions: store.questions,
			users: store.users,
			chat: options.chat,
			notifier,
			metrics,
			logger,
		});
		queue.startWorker({
			handler: worker.handle,
			onDeadLetter: worker.onDeadLetter,
			concurrency: settings.concurrency,
		});
		logger.info({ backend: queue.backend, concurrency: settings.concurrency }, "question worker started");
	}
	return {
		notifier,
		queue,
		questions: createQuestionService({
			questions: store.questions,
			queue,
			models: options.models,
			providerKeys: options.providerKeys,
			logger,
		}),
		async close() {
			await queue.close();
			await notifier.close();
		},
	};
}

function createQueue(
	settings: Config["queue"],
	{ store, logger, redis }: { store: Store; logger: Logger; redis: Config["redis"] },
): JobQueue {
	if (settings.backend === "bullmq" && redis) {
		return createBullmqQueue({
			url: redis.url,
			keyPrefix: redis.keyPrefix,
			queue: questionQueueName,
			settings,
			logger,
		});
	}
	if (settings.backend === "sqs" && settings.sqs) {
		return createSqsQueue({ queueUrl: settings.sqs.queueUrl, endpoint: settings.sqs.endpoint, settings, logger });
	}
	return createEmbeddedQueue({ jobs: store.jobs, queue: questionQueueName, settings, logger });
}
