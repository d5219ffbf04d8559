import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import type { KnowledgeRepository } from "../knowledge-port.js";
import type { MemoryRepository } from "../memory-port.js";
import type { Store } from "../store-port.js";
import { createDynamoBudgetRepository } from "./dynamodb-budget-repository.js";
import type { DynamoDbSettings } from "./dynamodb-config.js";
import { createDynamoConversationRepository } from "./dynamodb-conversation-repository.js";
import {
	createDynamoApiKeyRepository,
	createDynamoRefreshTokenRepository,
} from "./dynamodb-credential-repositories.js";
import { createDynamoIdempotencyRepository } from "./dynamodb-idempotency-repository.js";
import { createDynamoInteractionRepository } from "./dynamodb-interaction-repository.js";
import { createItemOperations } from "./dynamodb-items.js";
import { createDynamoJobRepository } from "./dynamodb-job-repository.js";
import { createDynamoKnowledgeRepository } from "./dynamodb-knowledge-repository.js";
import { createDynamoMemoryRepository } from "./dynamodb-memory-repository.js";
import { createDynamoProviderKeyRepository } from "./dynamodb-provider-key-repository.js";
import { createDynamoQuestionRepository } from "./dynamodb-question-repository.js";
import { createDynamoResponseCacheRepository } from "./dynamodb-response-cache-repository.js";
import { createDynamoTable } from "./dynamodb-table.js";
import { createDynamoUsageRepository } from "./dynamodb-usage-repository.js";
import { createDynamoUserRepository } from "./dynamodb-user-repository.js";
import { createDynamoWebhookRepository } from "./dynamodb-webhook-repository.js";

export interface DynamoStoreOptions {
	settings: DynamoDbSettings;
	/** Create the table when it does not exist (local use; on AWS the CDK stack creates it); default true. */
	migrate?: boolean;
}

/**
 * The serverless store: one DynamoDB table (design in dynamodb-table.ts), one repository per
 * port part, single-item conditional writes only. Readiness is a DescribeTable.
 */
export async function createDynamoStore(options: DynamoStoreOptions): Promise<Store> {
	const table = createDynamoTable(options.settings);
	const items = createItemOperations(table);
	const knowledge: KnowledgeRepository = createDynamoKnowledgeRepository(items);
	const memories: MemoryRepository = createDynamoMemoryRepository(items);

	const store: Store = {
		capabilities: { backend: "dynamodb", supportsTransactions: false },
		users: createDynamoUserRepository(items),
		refreshTokens: createDynamoRefreshTokenRepository(items),
		apiKeys: createDynamoApiKeyRepository(items),
		providerKeys: createDynamoProviderKeyRepository(items),
		conversations: createDynamoConversationRepository(items),
		interactions: createDynamoInteractionRepository(items),
		usage: createDynamoUsageRepository(items),
		budgets: createDynamoBudgetRepository(items),
		questions: createDynamoQuestionRepository(items),
		jobs: createDynamoJobRepository(items),
		webhooks: createDynamoWebhookRepository(items),
		knowledge,
		memories,
		idempotency: createDynamoIdempotencyRepository(items),
		responseCache: createDynamoResponseCacheRepository(items),

		migrate: () => table.ensureExists(),

		async ping() {
			await table.client.send(new DescribeTableCommand({ TableName: table.tableName }));
		},

		async close() {
			table.close();
		},
	};

	if (options.migrate ?? true) {
		try {
			await store.migrate();
		} catch (error) {
			await store.close();
			throw error;
		}
	}
	return store;
}
