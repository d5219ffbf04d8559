import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../../src/errors.js";
import { newId } from "../../src/store/ids.js";
import { createMemoryHarness, type MemoryHarness } from "../support/memory-harness.js";

// Real: SQLite store, the rule-based extractor, the word embedder. The mock model is the default, so
// every extraction here is rule-based.
describe("memory service with the rule-based extractor", () => {
	let harness: MemoryHarness;
	beforeEach(async () => {
		harness = await createMemoryHarness();
	});
	afterEach(() => harness.close());

	it("English: learns a fact once, replaces it when contradicted, forgets it when retracted", async () => {
		const ana = await harness.principal();
		await harness.say(ana, "Hi! I live in Lisbon.");
		expect(await harness.texts(ana)).toEqual(["Lives in Lisbon"]);
		const [first] = (await harness.memory.list(ana, { limit: 10 })).items;
		expect(first?.sourceInteractionId).toBe("interaction:Hi! I live in Lisbon.");

		await harness.say(ana, "I live in Lisbon", "i live in lisbon!");
		expect(await harness.texts(ana)).toEqual(["Lives in Lisbon"]);

		await harness.say(ana, "Actually I live in Porto now");
		const [moved] = (await harness.memory.list(ana, { limit: 10 })).items;
		expect(moved).toMatchObject({ id: first!.id, text: "Lives in Porto" });
		expect(moved!.vector).not.toEqual(first!.vector);

		await harness.say(ana, "I'm vegetarian", "I am vegetarian.");
		expect(await harness.texts(ana)).toEqual(["Is vegetarian", "Lives in Porto"]);
		await harness.say(ana, "I'm no longer vegetarian");
		expect(await harness.texts(ana)).toEqual(["Lives in Porto"]);

		await harness.say(ana, "I prefer short answers", "Please keep your answers short");
		expect(await harness.texts(ana)).toEqual(["Prefers short answers", "Lives in Porto"]);
		await harness.say(ana, "I prefer detailed answers");
		expect(await harness.texts(ana)).toEqual(["Prefers detailed answers", "Lives in Porto"]);
	});

	it("Portuguese: no duplicates, a move replaces the old home, a retraction deletes", async () => {
		const joao = await harness.principal();
		await harness.say(joao, "sou vegetariano", "Eu sou vegetariano.", "moro em Lisboa", "prefiro respostas curtas");
		expect((await harness.texts(joao)).sort()).toEqual(["Mora em Lisboa", "Prefere respostas curtas", "É vegetariano"]);

		await harness.say(joao, "Me mudei para o Porto", "já não sou vegetariano", "Prefiro respostas longas");
		expect((await harness.texts(joao)).sort()).toEqual(["Mora no Porto", "Prefere respostas longas"]);

		await harness.say(joao, "não moro mais no Porto");
		expect(await harness.texts(joao)).toEqual(["Prefere respostas longas"]);
	});

	it("Spanish: a negation updates the memory it contradicts", async () => {
		const juan = await harness.principal();
		await harness.say(juan, "me llamo Juan", "Me llamo Juan.", "soy vegetariano", "me gusta el café");
		expect((await harness.texts(juan)).sort()).toEqual(["Es vegetariano", "Le gusta el café", "Se llama Juan"]);

		await harness.say(juan, "no soy vegetariano", "no me gusta el café");
		expect((await harness.texts(juan)).sort()).toEqual(["No es vegetariano", "No le gusta el café", "Se llama Juan"]);

		await harness.say(juan, "vivo en Madrid", "Por cierto, me mudé a Sevilla");
		expect((await harness.texts(juan)).filter((text) => text.startsWith("Vive"))).toEqual(["Vive en Sevilla"]);
	});

	it("learns nothing from questions, hypotheses or statements about others", async () => {
		const who = await harness.principal();
		await harness.say(
			who,
			"am I vegetarian?",
			"¿Dónde vivo?",
			"Se eu fosse vegetariano, comeria menos carne",
			"My brother lives in Paris",
			"Explain how photosynthesis works",
		);
		expect(await harness.texts(who)).toEqual([]);
	});

	it("learns nothing while memory is off, and resumes when it is back on", async () => {
		const who = await harness.principal();
		expect(await harness.memory.settings(who)).toEqual({ enabled: true });
		await harness.say(who, "I live in Lisbon");
		expect(await harness.memory.setEnabled(who, false)).toEqual({ enabled: false });

		await harness.say(who, "I'm vegetarian");
		expect(await harness.texts(who)).toEqual(["Lives in Lisbon"]);
		expect(await harness.memory.contextFor(who, "Where should I eat in Lisbon?", { maxTokens: 500 })).toEqual({
			text: "",
			memories: [],
		});

		await harness.memory.setEnabled(who, true);
		await harness.say(who, "I'm vegetarian");
		expect(await harness.texts(who)).toEqual(["Is vegetarian", "Lives in Lisbon"]);
	});

	it("gives the prompt every preference and the relevant facts, within the token budget", async () => {
		const who = await harness.principal();
		await harness.say(who, "I live in Lisbon", "I work as a nurse", "I prefer short answers", "talk to me formally");

		const context = await harness.memory.contextFor(who, "What should I visit in Lisbon?", { maxTokens: 500 });
		expect(context.text).toBe(
			[
				"What you know about the user:",
				"- Prefers to be addressed formally",
				"- Prefers short answers",
				"- Lives in Lisbon",
			].join("\n"),
		);
		expect(context.memories.map((memory) => memory.text)).toEqual([
			"Prefers to be addressed formally",
			"Prefers short answers",
			"Lives in Lisbon",
		]);

		const tight = await harness.memory.contextFor(who, "What should I visit in Lisbon?", { maxTokens: 14 });
		expect(tight.memories.length).toBeGreaterThan(0);
		expect(tight.memories.length).toBeLessThan(3);
		const unrelated = await harness.memory.contextFor(who, "Explain photosynthesis", { maxTokens: 500 });
		expect(unrelated.memories.map((memory) => memory.kind)).toEqual(["preference", "preference"]);
		expect(await harness.memory.contextFor(who, "Lisbon", { maxTokens: 0 })).toEqual({ text: "", memories: [] });
	});

	it("is empty for a user with nothing relevant, and never shows one user's memories to another", async () => {
		const ana = await harness.principal();
		const bruno = await harness.principal();
		await harness.say(ana, "I live in Lisbon", "I prefer short answers");
		expect(await harness.memory.contextFor(bruno, "Where do I live? Lisbon?", { maxTokens: 500 })).toEqual({
			text: "",
			memories: [],
		});
		expect(await harness.texts(bruno)).toEqual([]);
	});

	it("adds by hand without duplicates, edits, deletes for real, and deletes everything", async () => {
		const who = await harness.principal();
		const added = await harness.memory.create(who, { text: "  Has a   dog named Rex ", kind: "fact" });
		expect(added.created).toBe(true);
		expect(added.memory).toMatchObject({ text: "Has a dog named Rex", kind: "fact", sourceInteractionId: null });
		const again = await harness.memory.create(who, { text: "has a dog named rex" });
		expect(again).toMatchObject({ created: false, memory: { id: added.memory.id } });
		// Close in words, opposite in meaning: not a duplicate.
		expect((await harness.memory.create(who, { text: "Has no dog named Rex" })).created).toBe(true);

		const edited = await harness.memory.update(who, added.memory.id, {
			text: "Has a cat named Rex",
			kind: "preference",
		});
		expect(edited).toMatchObject({ text: "Has a cat named Rex", kind: "preference" });
		expect(edited.vector).not.toEqual(added.memory.vector);
		const rekinded = await harness.memory.update(who, added.memory.id, { kind: "fact" });
		expect(rekinded).toMatchObject({ text: "Has a cat named Rex", kind: "fact" });

		expect((await harness.memory.contextFor(who, "my cat Rex", { maxTokens: 500 })).text).toContain(
			"Has a cat named Rex",
		);
		await harness.memory.delete(who, added.memory.id);
		await expect(harness.memory.get(who, added.memory.id)).rejects.toMatchObject({ code: "not_found" });
		expect((await harness.memory.contextFor(who, "my cat Rex", { maxTokens: 500 })).text).not.toContain("cat");
		await expect(harness.memory.delete(who, added.memory.id)).rejects.toBeInstanceOf(AppError);

		await harness.say(who, "I live in Lisbon");
		expect(await harness.memory.deleteAll(who)).toBe(2);
		expect(await harness.texts(who)).toEqual([]);
	});

	it("moves memories made by another embedder into the current one, so they are found again", async () => {
		const who = await harness.principal();
		const earlier = { sourceInteractionId: null, vector: Float32Array.of(0.6, 0.8), embedderId: "earlier:2" };
		for (const [text, kind] of [
			["Lives in Lisbon", "fact"],
			["Plays the cello", "fact"],
			["Prefers short answers", "preference"],
		] as const) {
			await harness.store.memories.create({
				id: newId(),
				userId: who.userId,
				text,
				kind,
				...earlier,
				createdAt: 5,
				updatedAt: 5,
			});
		}

		// The first prompt goes with the preferences; the move happens meanwhile.
		const first = await harness.memory.contextFor(who, "Concerts for cello players?", { maxTokens: 500 });
		expect(first.memories.map((memory) => memory.text)).toContain("Prefers short answers");
		await harness.memory.idle();
		const next = await harness.memory.contextFor(who, "Concerts for cello players?", { maxTokens: 500 });
		expect(next.memories.map((memory) => memory.text)).toEqual(["Prefers short answers", "Plays the cello"]);
		const stored = (await harness.memory.list(who, { limit: 10 })).items;
		expect(stored.every((memory) => memory.embedderId === harness.embedder.id && memory.updatedAt === 5)).toBe(true);

		// And a contradiction still finds the old memory.
		await harness.say(who, "Actually I live in Porto now");
		expect((await harness.texts(who)).filter((text) => text.startsWith("Lives"))).toEqual(["Lives in Porto"]);
	});

	it("refuses empty or oversized texts and other users' memories", async () => {
		const owner = await harness.principal();
		const stranger = await harness.principal();
		const { memory } = await harness.memory.create(owner, { text: "Plays the cello" });
		await expect(harness.memory.create(owner, { text: "   " })).rejects.toMatchObject({ code: "validation_failed" });
		await expect(harness.memory.create(owner, { text: "x".repeat(1001) })).rejects.toMatchObject({
			code: "validation_failed",
		});
		await expect(harness.memory.get(stranger, memory.id)).rejects.toMatchObject({ code: "not_found" });
		await expect(harness.memory.update(stranger, memory.id, { text: "Mine now" })).rejects.toMatchObject({
			code: "not_found",
		});
		await expect(harness.memory.delete(stranger, memory.id)).rejects.toMatchObject({ code: "not_found" });
		expect(await harness.memory.deleteAll(stranger)).toBe(0);
		expect(await harness.texts(owner)).toEqual(["Plays the cello"]);
	});
});
