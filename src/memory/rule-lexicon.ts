import { fold, type StatementLanguage } from "./memory-candidate.js";

/**
 * Word lists of the rule-based extractor, folded (lower case, no accents). Portuguese and Spanish
 * entries are masculine singular; `inLexicon` also accepts the feminine and plural forms.
 */

const occupations = new Set(
	`developer programmer engineer designer manager teacher professor lecturer student doctor physician nurse lawyer
	attorney architect accountant scientist researcher analyst consultant writer author journalist editor chef cook
	artist musician photographer pharmacist dentist psychologist therapist farmer pilot electrician plumber mechanic
	entrepreneur founder freelancer translator economist salesperson marketer biologist chemist physicist mathematician
	veterinarian surgeon paramedic firefighter officer soldier librarian barista waiter waitress cashier driver
	carpenter tester administrator sysadmin intern ceo cto
	desenvolvedor programador engenheiro gerente gestor estudante aluno medico enfermeiro advogado arquiteto contador
	contabilista cientista pesquisador investigador analista consultor escritor jornalista cozinheiro artista musico
	fotografo farmaceutico dentista psicologo terapeuta agricultor piloto eletricista encanador canalizador mecanico
	empresario empreendedor fundador tradutor economista vendedor biologo quimico matematico veterinario cirurgiao
	bombeiro policial militar bibliotecario garcom motorista carpinteiro estagiario administrador
	desarrollador ingeniero disenador maestro estudiante abogado arquitecto contable cientifico periodista cocinero
	electricista fontanero plomero emprendedor traductor cirujano bombero policia camarero mesero conductor carpintero
	becario profesor`.split(/\s+/),
);

const durableAdjectives = new Set(
	`vegetarian vegan pescatarian celiac coeliac diabetic allergic lactose gluten married single divorced widowed
	engaged retired unemployed self-employed freelance left-handed right-handed lefthanded colorblind colourblind deaf
	blind autistic dyslexic pregnant bilingual trilingual introverted extroverted introvert extrovert vegetariano
	vegano pescetariano celiaco diabetico alergico intolerante casado solteiro divorciado viuvo noivo aposentado
	reformado desempregado autonomo canhoto destro daltonico surdo cego autista dislexico gravida bilingue introvertido
	extrovertido soltero viudo jubilado desempleado zurdo diestro sordo ciego embarazada`.split(/\s+/),
);

const nationalities = new Set(
	`american british english scottish welsh irish canadian australian portuguese brazilian spanish mexican argentinian
	argentine colombian chilean peruvian venezuelan cuban uruguayan french german italian dutch belgian swiss austrian
	swedish norwegian danish finnish polish ukrainian russian greek turkish indian chinese japanese korean angolan
	mozambican nigerian moroccan egyptian
	americano britanico ingles escoces irlandes canadense australiano portugues brasileiro espanhol mexicano argentino
	colombiano chileno peruano venezuelano cubano uruguaio frances alemao italiano holandes belga suico austriaco sueco
	noruegues dinamarques finlandes polones ucraniano russo grego turco indiano chines japones coreano angolano
	mocambicano
	estadounidense britanico canadiense brasileno espanol venezolano uruguayo aleman suizo noruego danes polaco
	japones surcoreano`.split(/\s+/),
);

/** Words that never start a value: pronouns, and what a statement about the assistant starts with. */
const pronouns = new Set(
	`it that this these those them you your yours him her us myself yourself something everything nothing
	isso isto aquilo voce te ti tu teu tua seu sua lhe nada tudo
	eso esto aquello usted ustedes vos te ti tu tus nada todo`.split(/\s+/),
);
const secondPerson = new Set(["you", "your", "yours", "voce", "teu", "tua", "usted", "ustedes", "vos"]);

/** A word, or its feminine or plural form, is in the list ("professora", "vegetarianas", "ingleses"). */
function inLexicon(word: string, lexicon: ReadonlySet<string>): boolean {
	if (lexicon.has(word)) return true;
	const candidates = [
		word.replace(/s$/, ""),
		word.replace(/es$/, ""),
		word.replace(/as?$/, "o"),
		word.replace(/as?$/, ""),
		word.replace(/oras?$/, "or"),
		word.replace(/esas?$/, "es"),
		word.replace(/ns$/, "m"),
	];
	return candidates.some((candidate) => candidate !== word && lexicon.has(candidate));
}

export function mentionsOccupation(value: string): boolean {
	return fold(value)
		.split(" ")
		.some((word) => inLexicon(word, occupations));
}

const indefiniteArticles = new Set(["a", "an", "um", "uma", "un", "una"]);
const vagueQuantities = new Set(["bit", "little", "lot", "few", "pouco", "poco"]);
const intensifiers = new Set(
	`very really strictly fully completely totally proudly happily muito bem totalmente estritamente completamente
	muy realmente`.split(/\s+/),
);
/** A verb inside the value means a clause about something else ("I'm sure my brother is vegan"). */
const embeddedVerbs = new Set(["is", "are", "was", "were", "é", "são", "foi", "es", "son", "fue", "está"]);

/**
 * Whether "I'm <value>" / "sou <value>" / "soy <value>" states something lasting about the user: a
 * noun phrase ("a software developer", "um grande fã de jazz"), or a word from the lists above
 * first ("vegetarian", "brasileira", "allergic to nuts"). Passing states ("tired", "sure", "sorry")
 * are not memories.
 */
export function isDurableAttribute(value: string): boolean {
	const accented = value
		.toLowerCase()
		.split(/\s+/)
		.filter((word) => word.length > 0);
	if (accented.length === 0 || accented.length > 8 || accented.some((word) => embeddedVerbs.has(word))) return false;
	const words = accented.map((word) => word.normalize("NFD").replace(/\p{M}+/gu, ""));
	if (words.some((word) => secondPerson.has(word))) return false;
	let index = 0;
	if (indefiniteArticles.has(words[0]!)) {
		if (words.length < 2 || vagueQuantities.has(words[1]!)) return false;
		return !pronouns.has(words[1]!);
	}
	while (index < words.length - 1 && intensifiers.has(words[index]!)) index += 1;
	const head = words[index]!.replace(/[^\p{L}-]/gu, "");
	return (
		inLexicon(head, durableAdjectives) ||
		inLexicon(head, nationalities) ||
		inLexicon(head, occupations) ||
		inLexicon(head.replace(/-/g, ""), durableAdjectives)
	);
}

/** False for values that are pronouns or speak of the assistant ("I like it", "I love you", "I prefer your way"). */
export function isAboutTheWorld(value: string): boolean {
	const words = fold(value).split(" ");
	if (words.length === 0 || words[0] === "" || pronouns.has(words[0]!)) return false;
	return !words.some((word) => secondPerson.has(word));
}

const answerNouns = "(?:answers|replies|responses|explanations|respostas|explicacoes|respuestas|explicaciones)";
const lengthWords =
	"(?:short|shorter|brief|concise|long|longer|lengthy|detailed|succinct|curtas|breves|concisas|longas|detalhadas|sucintas|resumidas|cortas|largas|detalladas|escuetas|directas|diretas|objetivas)";
const languageWords =
	"(?:english|portuguese|spanish|french|german|italian|dutch|chinese|japanese|ingles|portugues|espanhol|espanol|castellano|frances|alemao|aleman|italiano)";
const dimensionPatterns: Array<[dimension: string, pattern: RegExp]> = [
	[
		"length",
		new RegExp(`(?:^| )(?:${lengthWords} ${answerNouns}|${answerNouns} (?:${lengthWords}|short|brief))(?: |$)`),
	],
	["formality", /(?:^| )(?:addressed|tratamento|trato) (?:formal|formally|informal|informally)(?: |$)/],
	["language", new RegExp(`(?:^| )${answerNouns} (?:in|em|en) ${languageWords}(?: |$)`)],
];

/**
 * The dimension a preference about answers sets ("Prefers short answers" → length), so that
 * "prefer long answers" replaces "prefer short answers"; undefined for preferences about anything
 * else ("Likes long walks").
 */
export function preferenceDimension(value: string): string | undefined {
	const folded = fold(value);
	return dimensionPatterns.find(([, pattern]) => pattern.test(folded))?.[0];
}

/** Languages named in answer-language preferences, as each language writes them. */
export const languageNames: Record<StatementLanguage, string> = {
	en: "english|portuguese|spanish|french|german|italian|dutch|chinese|japanese",
	pt: "português|portugues|inglês|ingles|espanhol|francês|frances|alemão|alemao|italiano",
	es: "español|espanol|castellano|inglés|ingles|portugués|portugues|francés|frances|alemán|aleman|italiano",
};
