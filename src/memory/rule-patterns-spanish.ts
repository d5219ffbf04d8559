import { languageNames } from "./rule-lexicon.js";
import { type LanguageRules, mapValue, type Slots, statement } from "./rule-patterns.js";

const yo = "(?:yo )?";
const adverbs = "(?:(?:también|tambien|ahora|todavía|todavia|actualmente|realmente|ya|siempre) )*";
const please = "(?:por favor,? )?";
const formality = mapValue({
	formalmente: "formal",
	informalmente: "informal",
	usted: "formal",
	tú: "informal",
	tu: "informal",
	tutéame: "informal",
	tuteame: "informal",
});
// "sé breve" asks for "respuestas breves": the adjective agrees with the feminine plural noun.
const answerAdjective = mapValue({
	breve: "breves",
	conciso: "concisas",
	concisa: "concisas",
	directo: "directas",
	directa: "directas",
	escueto: "escuetas",
	escueta: "escuetas",
});
/** "ya no me encanta" and "no me gusta" both become "No le gusta": what changes is the memory's subject only. */
const likeVerb = (slots: Slots): Slots => ({
	...slots,
	verb: (slots.verb ?? "gusta").toLowerCase().replace("encanta", "gusta"),
});
const passing =
	"(?!(?:un|una) (?:pregunta|duda|problema|idea|reunión|reunion|minuto|momento|cita|petición|error)(?:\\s|$))";

/** Spanish. The subject pronoun "yo" is optional, as in speech. */
export const spanishRules: LanguageRules = {
	language: "es",
	patterns: [
		statement(
			`${yo}(?:ya no soy|dejé de ser|deje de ser) (?<value>.+)`,
			"attribute",
			"fact",
			"retract",
			"Ya no es {value}",
			"attribute",
		),
		statement(
			`${yo}(?:ya no|no) (?:vivo|resido) (?:más |mas )?en (?<value>.+?)(?: nunca más| más| mas)?`,
			"residence",
			"fact",
			"retract",
			"Ya no vive en {value}",
			"place",
		),

		statement(`(?:${yo}me llamo|mi nombre es) (?<value>.+)`, "name", "fact", "positive", "Se llama {value}", "name"),
		statement(
			"(?:(?:puedes|pueden) llamarme|llámame|llamame)(?: como)? (?<value>.+)",
			"name",
			"fact",
			"positive",
			"Se llama {value}",
			"name",
			{
				requiresCapital: true,
			},
		),
		statement(
			`${yo}tengo (?<value>\\d{1,3}) años(?: de edad)?`,
			"age",
			"fact",
			"positive",
			"Tiene {value} años",
			"age",
		),

		statement(
			`${yo}${adverbs}(?:vivo|resido) en (?<value>.+)`,
			"residence",
			"fact",
			"positive",
			"Vive en {value}",
			"place",
		),
		statement(
			`${yo}${adverbs}(?:me mudé|me mude|me he mudado) a (?<value>.+)`,
			"residence",
			"fact",
			"positive",
			"Vive en {value}",
			"place",
		),
		statement(`${yo}soy de (?<value>.+)`, "origin", "fact", "positive", "Es de {value}", "place"),
		statement(`${yo}(?:nací|naci) en (?<value>.+)`, "birthplace", "fact", "positive", "Nació en {value}", "place"),

		statement(
			`${yo}${adverbs}trabajo (?:como|de) (?<value>.+)`,
			"occupation",
			"fact",
			"positive",
			"Trabaja como {value}",
			"phrase",
		),
		statement(
			`${yo}${adverbs}trabajo (?<prep>en|para) (?<value>.+)`,
			"employer",
			"fact",
			"positive",
			"Trabaja {prep} {value}",
			"phrase",
		),
		statement(
			"mi (?<thing>[\\p{L} ]{1,40}?) (?<adjective>favorit[ao]|preferid[ao]) es (?<value>.+)",
			"favorite",
			"preference",
			"positive",
			"{thing} {adjective} es {value}",
			"phrase",
		),
		statement(
			`${yo}tengo ${passing}(?<value>(?:un|una|dos|tres|cuatro|cinco|\\d+) .+)`,
			"possession",
			"fact",
			"positive",
			"Tiene {value}",
			"phrase",
		),

		statement(
			`${please}(?:háblame|hablame|habla conmigo|trátame|tratame|escríbeme|escribeme)(?: siempre)? (?:de (?:manera|forma|modo) )?(?<value>formal|informal|formalmente|informalmente)`,
			"preference",
			"preference",
			"positive",
			"Prefiere un trato {value}",
			"fixed",
			{ rewrite: formality },
		),
		statement(
			`${please}(?:trátame|tratame|háblame|hablame)(?: siempre)? de (?<value>usted|tú|tu)`,
			"preference",
			"preference",
			"positive",
			"Prefiere un trato {value}",
			"fixed",
			{ rewrite: formality },
		),
		statement(
			`${please}(?<value>tutéame|tuteame)`,
			"preference",
			"preference",
			"positive",
			"Prefiere un trato {value}",
			"fixed",
			{
				rewrite: formality,
			},
		),
		statement(
			`${please}(?:siempre )?(?:responde|respóndeme|respondeme|contesta|contéstame|contestame|háblame|hablame|escríbeme|escribeme)(?: siempre)? en (?<value>${languageNames.es})`,
			"preference",
			"preference",
			"positive",
			"Prefiere respuestas en {value}",
			"fixed",
		),
		statement(
			`${please}sé (?:más |mas |siempre )?(?<value>breve|conciso|concisa|directo|directa|escueto|escueta)`,
			"preference",
			"preference",
			"positive",
			"Prefiere respuestas {value}",
			"fixed",
			{ rewrite: answerAdjective },
		),
		statement(
			`${yo}${adverbs}(?:quiero|necesito) respuestas (?<value>cortas|largas|breves|detalladas|concisas|directas)`,
			"preference",
			"preference",
			"positive",
			"Prefiere respuestas {value}",
			"fixed",
		),
		statement(
			`${yo}${adverbs}prefiero (?<value>.+)`,
			"preference",
			"preference",
			"positive",
			"Prefiere {value}",
			"phrase",
		),

		statement(
			`${yo}(?:ya no|no) me (?<verb>gusta|gustan|encanta|encantan)(?: más| mas)? (?<value>.+?)(?: ya| más| mas)?`,
			"taste",
			"preference",
			"negative",
			"No le {verb} {value}",
			"phrase",
			{ rewrite: likeVerb },
		),
		statement(`${yo}(?:odio|detesto) (?<value>.+)`, "taste", "preference", "negative", "No le gusta {value}", "phrase"),
		statement(
			`${yo}${adverbs}me (?<verb>gusta|gustan|encanta|encantan)(?: mucho| muchísimo| bastante)? (?<value>.+)`,
			"taste",
			"preference",
			"positive",
			"Le {verb} {value}",
			"phrase",
		),
		statement(
			`${yo}${adverbs}(?:amo|adoro) (?<value>.+)`,
			"taste",
			"preference",
			"positive",
			"Adora {value}",
			"phrase",
		),

		statement(`${yo}no soy (?<value>.+)`, "attribute", "fact", "negative", "No es {value}", "attribute"),
		statement(`${yo}${adverbs}soy (?<value>.+)`, "attribute", "fact", "positive", "Es {value}", "attribute"),
		// Last: "soy Juan" only when nothing above read the word as a lasting attribute.
		statement(`${yo}soy (?<value>\\p{Lu}[\\p{L}'-]+)`, "name", "fact", "positive", "Se llama {value}", "name", {
			requiresCapital: true,
		}),
	],
};
