import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { LiveEvent, Notifier } from "../../src/notify/notifier-port.js";

export interface NotifiersUnderTest {
	/** Two handles on one backend, as two processes would hold (the same object for in-process). */
	publisher: Notifier;
	listener: Notifier;
	cleanUp(): Promise<void>;
}

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error("condition not met in time");
		await sleep(10);
	}
}

export function describeNotifierContract(name: string, create: () => Promise<NotifiersUnderTest>): void {
	describe(`notifier contract: ${name}`, () => {
		let current: NotifiersUnderTest | undefined;
		afterEach(async () => {
			await current?.cleanUp();
			current = undefined;
		});

		it("delivers a user's events to that user's listeners only", async () => {
			current = await create();
			const { publisher, listener } = current;
			const forAlice: LiveEvent[] = [];
			const forBob: LiveEvent[] = [];
			await listener.subscribe("alice", (event) => forAlice.push(event));
			await listener.subscribe("bob", (event) => forBob.push(event));
			const published = await publisher.publish("alice", "question-answered", { question: { id: "q1" } });
			await eventually(() => forAlice.length === 1);
			expect(forAlice[0]).toEqual(published);
			expect(published).toMatchObject({ type: "question-answered", userId: "alice", data: { question: { id: "q1" } } });
			await sleep(50);
			expect(forBob).toEqual([]);
		});

		it("stops delivering after unsubscribe, and keeps other listeners of the user", async () => {
			current = await create();
			const { publisher, listener } = current;
			const first: LiveEvent[] = [];
			const second: LiveEvent[] = [];
			const stopFirst = await listener.subscribe("carol", (event) => first.push(event));
			await listener.subscribe("carol", (event) => second.push(event));
			stopFirst();
			await publisher.publish("carol", "prompt-message", { n: 1 });
			await eventually(() => second.length === 1);
			await sleep(50);
			expect(first).toEqual([]);
		});

		it("keeps recent events per user for resumption after a given id", async () => {
			current = await create();
			const { publisher, listener } = current;
			const one = await publisher.publish("dave", "question-answered", { n: 1 });
			const two = await publisher.publish("dave", "question-failed", { n: 2 });
			const three = await publisher.publish("dave", "document-indexed", { n: 3 });
			await publisher.publish("erin", "question-answered", { n: 4 });
			expect((await listener.recent("dave", one.id)).map((event) => event.id)).toEqual([two.id, three.id]);
			expect(await listener.recent("dave", three.id)).toEqual([]);
			expect((await listener.recent("erin", one.id)).map((event) => event.data)).toEqual([{ n: 4 }]);
		});
	});
}
