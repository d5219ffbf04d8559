import { languageNames } from "./rule-lexicon.js";
import { type LanguageRules, mapValue, type Slots, statement } from "./rule-patterns.js";

const eu = "(?:eu )?";
const adverbs = "(?:(?:também|tambem|agora|ainda|realmente|atualmente|actualmente|já|ja|hoje|sempre) )*";
const notAnymore = "(?:já não|ja nao|não|nao)";
const place = "(?<prep>em|no|na|nos|nas)";
const please = "(?:por favor,? )?";
const formality = mapValue({ formalmente: "formal", informalmente: "informal" });
// "seja breve" asks for "respostas breves": the adjective agrees with the feminine plural noun.
const answerAdjective = mapValue({
	breve: "breves",
	conciso: "concisas",
	concisa: "concisas",
	objetivo: "objetivas",
	objetiva: "objetivas",
	direto: "diretas",
	direta: "diretas",
	sucinto: "sucintas",
	sucinta: "sucintas",
});
/** "mudei-me para o Porto" → "Mora no Porto". */
const movedTo = (slots: Slots): Slots => {
	const article = (slots.article ?? "").toLowerCase();
	return { ...slots, prep: article === "" ? "em" : `n${article}` };
};
const passing =
	"(?!(?:um|uma) (?:pergunta|dúvida|duvida|problema|ideia|reunião|reuniao|minuto|pedido|sugestão|erro)(?:\\s|$))";

/** Portuguese (European and Brazilian). The subject pronoun "eu" is optional, as in speech. */
export const portugueseRules: LanguageRules = {
	language: "pt",
	patterns: [
		statement(
			`${eu}(?:já não sou|ja nao sou|não sou mais|nao sou mais|deixei de ser) (?<value>.+)`,
			"attribute",
			"fact",
			"retract",
			"Já não é {value}",
			"attribute",
		),
		statement(
			`${eu}(?:não|nao) sou (?<value>.+?) mais`,
			"attribute",
			"fact",
			"retract",
			"Já não é {value}",
			"attribute",
		),
		statement(
			`${eu}${notAnymore} (?:moro|vivo|resido)(?: mais)? ${place} (?<value>.+?)(?: mais)?`,
			"residence",
			"fact",
			"retract",
			"Já não mora {prep} {value}",
			"place",
		),

		statement("(?:o )?meu nome é (?<value>.+)", "name", "fact", "positive", "Chama-se {value}", "name"),
		statement(`(?:${eu}me chamo|chamo-me) (?<value>.+)`, "name", "fact", "positive", "Chama-se {value}", "name"),
		statement(
			"(?:(?:você |voce )?pode(?:s)? me chamar|me chame|chame-me)(?: de)? (?<value>.+)",
			"name",
			"fact",
			"positive",
			"Chama-se {value}",
			"name",
			{ requiresCapital: true },
		),
		statement(`${eu}sou (?:o|a) (?<value>.+)`, "name", "fact", "positive", "Chama-se {value}", "name", {
			requiresCapital: true,
		}),
		statement(`${eu}tenho (?<value>\\d{1,3}) anos(?: de idade)?`, "age", "fact", "positive", "Tem {value} anos", "age"),

		statement(
			`${eu}${adverbs}(?:moro|vivo|resido) ${place} (?<value>.+)`,
			"residence",
			"fact",
			"positive",
			"Mora {prep} {value}",
			"place",
		),
		statement(
			`${eu}${adverbs}(?:me mudei|mudei-me) (?:para|pra) (?:(?<article>o|a|os|as) )?(?<value>.+)`,
			"residence",
			"fact",
			"positive",
			"Mora {prep} {value}",
			"place",
			{ rewrite: movedTo },
		),
		statement(
			`${eu}sou (?<prep>de|do|da|dos|das) (?<value>.+)`,
			"origin",
			"fact",
			"positive",
			"É {prep} {value}",
			"place",
		),
		statement(`${eu}nasci ${place} (?<value>.+)`, "birthplace", "fact", "positive", "Nasceu {prep} {value}", "place"),

		statement(
			`${eu}${adverbs}trabalho como (?<value>.+)`,
			"occupation",
			"fact",
			"positive",
			"Trabalha como {value}",
			"phrase",
		),
		statement(
			`${eu}${adverbs}trabalho (?<prep>em|no|na|para|pra) (?<value>.+)`,
			"employer",
			"fact",
			"positive",
			"Trabalha {prep} {value}",
			"phrase",
		),
		statement(
			"(?:a |o )?(?:minha|meu) (?<thing>[\\p{L} ]{1,40}?) (?<adjective>favorit[ao]|preferid[ao]) é (?<value>.+)",
			"favorite",
			"preference",
			"positive",
			"{thing} {adjective} é {value}",
			"phrase",
		),
		statement(
			`${eu}tenho ${passing}(?<value>(?:um|uma|dois|duas|três|tres|quatro|cinco|\\d+) .+)`,
			"possession",
			"fact",
			"positive",
			"Tem {value}",
			"phrase",
		),

		statement(
			`${please}(?:fale|fala|converse|conversa|escreva|escreve|trate|trata) comigo (?:sempre )?(?:de (?:maneira|forma|modo) )?(?<value>formal|informal|formalmente|informalmente)`,
			"preference",
			"preference",
			"positive",
			"Prefere tratamento {value}",
			"fixed",
			{ rewrite: formality },
		),
		statement(
			`${please}(?:trate-me|me trate|trata-me) (?:sempre )?(?:de (?:maneira|forma|modo) )?(?<value>formal|informal|formalmente|informalmente)`,
			"preference",
			"preference",
			"positive",
			"Prefere tratamento {value}",
			"fixed",
			{ rewrite: formality },
		),
		statement(
			`${please}(?:sempre )?(?:responda|responde|fale|fala|escreva|escreve)(?: sempre)?(?: comigo| para mim| pra mim)? em (?<value>${languageNames.pt})`,
			"preference",
			"preference",
			"positive",
			"Prefere respostas em {value}",
			"fixed",
		),
		statement(
			`${please}(?:seja|sê) (?:mais |sempre )?(?<value>breve|conciso|concisa|objetivo|objetiva|direto|direta|sucinto|sucinta)`,
			"preference",
			"preference",
			"positive",
			"Prefere respostas {value}",
			"fixed",
			{ rewrite: answerAdjective },
		),
		statement(
			`${eu}${adverbs}(?:quero|gosto de|preciso de) respostas (?<value>curtas|longas|breves|detalhadas|concisas|diretas|objetivas|resumidas)`,
			"preference",
			"preference",
			"positive",
			"Prefere respostas {value}",
			"fixed",
		),
		statement(
			`${eu}${adverbs}prefiro (?<value>.+)`,
			"preference",
			"preference",
			"positive",
			"Prefere {value}",
			"phrase",
		),

		statement(
			`${eu}${notAnymore} gosto (?:mais )?de (?<value>.+?)(?: mais)?`,
			"taste",
			"preference",
			"negative",
			"Não gosta de {value}",
			"phrase",
		),
		statement(
			`${eu}(?:odeio|detesto) (?<value>.+)`,
			"taste",
			"preference",
			"negative",
			"Não gosta de {value}",
			"phrase",
		),
		statement(
			`${eu}${adverbs}gosto (?:muito |bastante )?de (?<value>.+)`,
			"taste",
			"preference",
			"positive",
			"Gosta de {value}",
			"phrase",
		),
		statement(
			`${eu}${adverbs}(?:adoro|amo) (?<value>.+)`,
			"taste",
			"preference",
			"positive",
			"Adora {value}",
			"phrase",
		),

		statement(`${eu}(?:não|nao) sou (?<value>.+)`, "attribute", "fact", "negative", "Não é {value}", "attribute"),
		statement(`${eu}${adverbs}sou (?<value>.+)`, "attribute", "fact", "positive", "É {value}", "attribute"),
	],
};
