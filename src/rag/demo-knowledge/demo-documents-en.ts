import type { DemoDocument } from "./demo-document.js";

/**
 * English guides of the demo knowledge base. Embedded as strings (not read from .md files) so
 * the compiled dist/ needs nothing beside itself.
 */
export const englishDemoDocuments: DemoDocument[] = [
	{
		sourceName: "what-is-parley.md",
		title: "What is Parley?",
		text: `# What is Parley?

Parley is a self-hostable backend that gives your application's users authenticated chat with large language
models (LLMs). One codebase runs three ways: the embedded default (a SQLite file, an offline mock model and a
local embedder, with no keys and no services), a distributed setup on PostgreSQL and Redis, and AWS serverless.

## What it does

- Accounts, access tokens and API keys, so every request is made by a known user.
- Conversations with history and token accounting.
- Retrieval-augmented generation (RAG) over each user's own documents and over shared collections.
- A personal memory of facts and preferences each user shares in chat.
- An OpenAI-compatible endpoint (\`POST /v1/chat/completions\`), so any OpenAI SDK can talk to it.
- Several model providers behind retries, circuit breakers and fallbacks.

## Where to start

Open \`/docs\` for the interactive API. Register with \`POST /v1/auth/register\`, log in, then ask
\`POST /v1/chat\` a question. Upload your own documents with \`POST /v1/documents\` and search them with
\`GET /v1/search\`.`,
	},
	{
		sourceName: "how-rag-works.md",
		title: "How does RAG work in Parley?",
		text: `# How does RAG work in Parley?

RAG (retrieval-augmented generation) lets a model answer from your documents instead of only from what it
learned in training. Parley does it in three steps: indexing, retrieval and grounded generation.

## Indexing documents

When you upload a document (Markdown, text, HTML, PDF, JSON or CSV), Parley extracts its text, keeps its
headings, and splits it into passages (chunks) that follow those headings. Each passage gets a keyword index
entry and an embedding vector. The document is stored all at once: it is either fully searchable or not stored.

## Retrieving passages

For every question, Parley searches the passages you may read: your own documents plus shared collections.
Hybrid search combines keyword matching (exact words, names, codes) with vector similarity (meaning, synonyms,
other languages) and keeps the best few passages.

## Grounded answers

The retrieved passages are placed in the model's system prompt, numbered, and the model is asked to answer from
them and cite them. If the passages do not contain the answer, the model should say so instead of inventing one.`,
	},
	{
		sourceName: "citations.md",
		title: "Citations in Parley answers",
		text: `# Citations in Parley answers

Every answer grounded in your documents says where it came from.

## How citations work

Retrieved passages are numbered in the prompt, and the model cites them in its answer with markers such as
"[1]" or "[2]". The response of \`POST /v1/chat\` and \`POST /v1/generate\` lists the citations: for each number, the
document id, its title, the passage (chunk) id, the relevance score and a short snippet. The same citations are
kept in your history, so you can check an old answer against its sources later.

## Checking a source

Open the cited document with \`GET /v1/documents/{id}\`, or search for the snippet with \`GET /v1/search\`. If a
document is deleted, its passages leave search at once and are never cited again.`,
	},
	{
		sourceName: "memory.md",
		title: "User memory in Parley",
		text: `# User memory in Parley

Parley can remember facts and preferences you share in conversation, such as your name, the language you
prefer, or the project you work on, and use them to personalise later answers.

## What is remembered

Memories are learned in the background from your messages, never from other users. Relevant memories are added
to the model's context together with retrieved document passages, within a small token budget.

## Staying in control

Your memories belong to you alone: no other user can read them. \`GET /v1/memories\` lists them,
\`DELETE /v1/memories/{id}\` forgets one, and \`PUT /v1/memories/settings\` with \`{"enabled": false}\` turns memory
off: nothing is learned or used while it is off.`,
	},
	{
		sourceName: "providers.md",
		title: "Model providers in Parley",
		text: `# Model providers in Parley

Parley talks to many LLM providers through one API. With no keys it answers with an offline mock model, which
is enough to try every feature, including RAG with citations.

## Choosing a provider

Set one variable and restart: \`OPENAI_API_KEY\`, \`OPENROUTER_API_KEY\`, \`ANTHROPIC_API_KEY\`, \`GEMINI_API_KEY\`,
\`AWS_REGION\` for Bedrock, or \`OPENAI_COMPATIBLE_BASE_URL\` for any Chat Completions server such as Ollama, vLLM
or LM Studio. Models are named \`provider/model\`, for example \`openai/gpt-4o-mini\`; \`GET /v1/models\` lists them.

## Resilience

Each call has a timeout. Retryable failures (rate limits, server errors, timeouts) are retried with exponential
backoff that honours Retry-After, and a circuit breaker stops calling a model that keeps failing until it
recovers.`,
	},
];
