import { describe, expect, it } from "vitest";
import { extractMemoryCandidates, subjectOfMemory } from "../../src/memory/rule-extractor.js";

type Expected = Array<[text: string, kind: "fact" | "preference"]>;

function texts(message: string): Expected {
	return extractMemoryCandidates(message).map((candidate) => [candidate.text, candidate.kind]);
}

const positives: Record<string, Array<[message: string, expected: Expected]>> = {
	English: [
		["I'm a software developer", [["Is a software developer", "fact"]]],
		["I live in Lisbon", [["Lives in Lisbon", "fact"]]],
		["my name is Ana", [["Name is Ana", "fact"]]],
		["my name is ana.", [["Name is Ana", "fact"]]],
		["talk to me formally", [["Prefers to be addressed formally", "preference"]]],
		["Please talk to me in a casual way", [["Prefers to be addressed informally", "preference"]]],
		["I prefer short answers", [["Prefers short answers", "preference"]]],
		["I'd prefer short answers, thanks", [["Prefers short answers", "preference"]]],
		["Please always answer in Portuguese", [["Prefers answers in Portuguese", "preference"]]],
		["I'm vegetarian", [["Is vegetarian", "fact"]]],
		["I’m allergic to peanuts", [["Is allergic to peanuts", "fact"]]],
		["I'm not vegetarian", [["Is not vegetarian", "fact"]]],
		["I'm no longer vegetarian", [["Is no longer vegetarian", "fact"]]],
		["actually I live in Porto now", [["Lives in Porto", "fact"]]],
		["I moved to Berlin last year", [["Lives in Berlin", "fact"]]],
		["I work as a nurse", [["Works as a nurse", "fact"]]],
		["I work at Acme Corp", [["Works at Acme Corp", "fact"]]],
		["I'm from Brazil", [["Is from Brazil", "fact"]]],
		["I'm 34 years old", [["Is 34 years old", "fact"]]],
		["I have two kids", [["Has two kids", "fact"]]],
		["I love hiking", [["Loves hiking", "preference"]]],
		["I don't like coffee", [["Dislikes coffee", "preference"]]],
		["My favorite color is blue", [["Favorite color is blue", "preference"]]],
		["Call me Ana", [["Name is Ana", "fact"]]],
		[
			"Hi! I'm Ana, I'm 34 and I live in Lisbon with my husband.",
			[
				["Name is Ana", "fact"],
				["Is 34 years old", "fact"],
				["Lives in Lisbon", "fact"],
			],
		],
		[
			"I'm vegetarian and I don't like coffee",
			[
				["Is vegetarian", "fact"],
				["Dislikes coffee", "preference"],
			],
		],
		["I live in Lisbon. Actually, I live in Porto now.", [["Lives in Porto", "fact"]]],
	],
	Portuguese: [
		["sou vegetariano", [["É vegetariano", "fact"]]],
		["eu moro em São Paulo", [["Mora em São Paulo", "fact"]]],
		["moro no rio de janeiro", [["Mora no Rio de Janeiro", "fact"]]],
		["Me mudei para o Porto", [["Mora no Porto", "fact"]]],
		["fale comigo de maneira formal", [["Prefere tratamento formal", "preference"]]],
		["prefiro respostas curtas", [["Prefere respostas curtas", "preference"]]],
		["Por favor, seja breve", [["Prefere respostas breves", "preference"]]],
		["responda sempre em inglês", [["Prefere respostas em inglês", "preference"]]],
		["meu nome é Ana", [["Chama-se Ana", "fact"]]],
		["Chamo-me João Silva", [["Chama-se João Silva", "fact"]]],
		["sou professora", [["É professora", "fact"]]],
		["sou de Lisboa", [["É de Lisboa", "fact"]]],
		["tenho 34 anos", [["Tem 34 anos", "fact"]]],
		["tenho dois filhos", [["Tem dois filhos", "fact"]]],
		["trabalho como enfermeira", [["Trabalha como enfermeira", "fact"]]],
		["gosto muito de futebol", [["Gosta de futebol", "preference"]]],
		["não gosto de café", [["Não gosta de café", "preference"]]],
		["Já não sou vegetariano", [["Já não é vegetariano", "fact"]]],
		["não sou vegetariana", [["Não é vegetariana", "fact"]]],
		["não moro mais em Lisboa", [["Já não mora em Lisboa", "fact"]]],
		["A minha cor favorita é azul", [["Cor favorita é azul", "preference"]]],
		["Na verdade, agora moro no Porto", [["Mora no Porto", "fact"]]],
	],
	Spanish: [
		["soy vegetariano", [["Es vegetariano", "fact"]]],
		["prefiero respuestas cortas", [["Prefiere respuestas cortas", "preference"]]],
		["me llamo Juan", [["Se llama Juan", "fact"]]],
		["no me gusta el café", [["No le gusta el café", "preference"]]],
		["me gustan los perros", [["Le gustan los perros", "preference"]]],
		["vivo en Madrid", [["Vive en Madrid", "fact"]]],
		["Me mudé a Sevilla", [["Vive en Sevilla", "fact"]]],
		["soy de Buenos Aires", [["Es de Buenos Aires", "fact"]]],
		["tengo 29 años", [["Tiene 29 años", "fact"]]],
		["trabajo como ingeniera", [["Trabaja como ingeniera", "fact"]]],
		["háblame de usted", [["Prefiere un trato formal", "preference"]]],
		["háblame de manera informal", [["Prefiere un trato informal", "preference"]]],
		["sé breve", [["Prefiere respuestas breves", "preference"]]],
		["contesta siempre en inglés", [["Prefiere respuestas en inglés", "preference"]]],
		["ya no soy vegetariano", [["Ya no es vegetariano", "fact"]]],
		["ya no vivo en Madrid", [["Ya no vive en Madrid", "fact"]]],
		["Mi color favorito es el azul", [["Color favorito es el azul", "preference"]]],
		["Por cierto, soy diseñadora", [["Es diseñadora", "fact"]]],
	],
};

/** Questions, hypotheticals, passing states, statements about others and about the assistant. */
const negatives: Record<string, string[]> = {
	English: [
		"am I vegetarian?",
		"Am I vegetarian",
		"Where do I live?",
		"What is my name?",
		"If I were vegetarian, I would eat less meat",
		"Imagine I live in Paris",
		"I wish I lived in Paris",
		"I'd love to live in Paris",
		"I used to live in Paris",
		"Maybe I'm a developer",
		"I think I'm vegetarian",
		"My brother is vegetarian",
		"She lives in Paris",
		"My wife's name is Maria",
		"My sister lives in Lisbon",
		"I'm tired",
		"I'm a bit tired",
		"I'm sure my brother is vegan",
		"I'm going to Lisbon tomorrow",
		"I'm sorry",
		"I love you",
		"I like it",
		"I like your answer",
		"I have a question",
		"call me later",
		"Explain how photosynthesis works",
		"",
	],
	Portuguese: [
		"sou vegetariano?",
		"Eu sou vegetariano?",
		"onde eu moro?",
		"Se eu fosse vegetariano, comeria menos carne",
		"Talvez eu more em Lisboa",
		"Eu acho que sou vegetariano",
		"Ele mora em Lisboa",
		"A minha irmã é vegetariana",
		"Estou cansado",
		"Tenho uma pergunta",
		"Gosto disso",
		"Adoro você",
		"Qual é o meu nome?",
	],
	Spanish: [
		"¿Soy vegetariano?",
		"soy vegetariano?",
		"¿Dónde vivo?",
		"Si yo fuera vegetariano, comería menos carne",
		"Quizás vivo en Madrid",
		"Creo que soy vegetariano",
		"Él vive en Madrid",
		"Mi hermano es vegetariano",
		"Estoy cansado",
		"Tengo una pregunta",
		"Me gusta eso",
		"¿Cuál es mi nombre?",
	],
};

describe("rule-based memory extractor", () => {
	for (const [language, cases] of Object.entries(positives)) {
		describe(`${language}: remembers`, () => {
			it.each(cases)("%j", (message, expected) => {
				expect(texts(message)).toEqual(expected);
			});
		});
	}

	for (const [language, messages] of Object.entries(negatives)) {
		describe(`${language}: remembers nothing from`, () => {
			it.each(messages)("%j", (message) => {
				expect(texts(message)).toEqual([]);
			});
		});
	}

	it("tells what a statement is about, so a later one can replace or retract it", () => {
		const [lisbon] = extractMemoryCandidates("I live in Lisbon");
		const [porto] = extractMemoryCandidates("Actually I live in Porto now");
		expect(lisbon).toMatchObject({ subject: "residence", singleValued: true, polarity: "positive", value: "lisbon" });
		expect(porto).toMatchObject({ subject: "residence", value: "porto" });

		const [vegetarian] = extractMemoryCandidates("I'm vegetarian");
		const [noLonger] = extractMemoryCandidates("I'm no longer vegetarian");
		expect(vegetarian).toMatchObject({ subject: "attribute:vegetarian", singleValued: false, polarity: "positive" });
		expect(noLonger).toMatchObject({ subject: "attribute:vegetarian", polarity: "retract" });

		// Length preferences in any wording and language share one subject.
		for (const message of ["I prefer short answers", "prefiro respostas curtas", "quiero respuestas largas"]) {
			expect(extractMemoryCandidates(message)[0]?.subject).toBe("preference:length");
		}
		// Jobs are one subject too, whether said as "I'm a …" or "I work as …".
		expect(extractMemoryCandidates("I'm a teacher")[0]?.subject).toBe("occupation");
		expect(extractMemoryCandidates("trabalho como enfermeira")[0]?.subject).toBe("occupation");
		// A negation about a one-valued subject retracts: "not a teacher" says nothing new to keep.
		expect(extractMemoryCandidates("I'm not a teacher")[0]).toMatchObject({
			subject: "occupation",
			polarity: "retract",
			value: "teacher",
		});
	});

	it("reads stored memories back, in its own words or the user's", () => {
		expect(subjectOfMemory("Lives in Lisbon")).toMatchObject({ subject: "residence", value: "lisbon" });
		expect(subjectOfMemory("Mora no Porto")).toMatchObject({ subject: "residence", value: "porto" });
		expect(subjectOfMemory("Is not vegetarian")).toMatchObject({
			subject: "attribute:vegetarian",
			polarity: "negative",
		});
		expect(subjectOfMemory("É de Lisboa")).toMatchObject({ subject: "origin" });
		expect(subjectOfMemory("É vegetariano")).toMatchObject({ subject: "attribute:vegetariano" });
		expect(subjectOfMemory("No le gusta el café")).toMatchObject({ subject: "taste:cafe", polarity: "negative" });
		expect(subjectOfMemory("Works as a teacher")).toMatchObject({ subject: "occupation", value: "teacher" });
		expect(subjectOfMemory("I live in Lisbon")).toMatchObject({ subject: "residence", value: "lisbon" });
		expect(subjectOfMemory("Keeps a diary")).toBeUndefined();
	});

	it("finishes on long and repetitive input (no pattern backtracks without bound)", () => {
		expect(extractMemoryCandidates(`I live in ${"a ".repeat(20_000)}`)).toEqual([]);
		expect(extractMemoryCandidates(`${"I'm ".repeat(5_000)}vegetarian`)).toEqual([]);
		expect(extractMemoryCandidates("moro em ".repeat(3_000))).toEqual([]);
	});
});
