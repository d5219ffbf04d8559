import { setTimeout as sleep } from "node:timers/promises";
import type { ApiClient } from "./http-client.js";

export interface QuestionBody {
	id: string;
	session_id: string;
	question: string;
	status: "pending" | "processing" | "answered" | "failed";
	model: string | null;
	answer: string | null;
	interaction_id: string | null;
	usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number; estimated: boolean } | null;
	citations: Array<{ number: number; document_id: string; title: string; snippet: string }>;
	error: { code: string; message: string } | null;
	attempts: number;
	dead_lettered: boolean;
}

/** Polls GET /v1/questions/{id} until the question is answered or failed (or `timeoutMs` passes). */
export async function waitForQuestion(
	client: ApiClient,
	id: string,
	token: string,
	timeoutMs = 15_000,
): Promise<QuestionBody> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const response = await client.get<QuestionBody>(`/v1/questions/${id}`, { token });
		if (response.status !== 200) throw new Error(`GET question: ${response.status} ${response.text}`);
		if (response.body.status === "answered" || response.body.status === "failed") return response.body;
		if (Date.now() > deadline) throw new Error(`question ${id} still ${response.body.status}`);
		await sleep(50);
	}
}
