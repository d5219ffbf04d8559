/**
 * Function words of English, Portuguese and Spanish, folded like the tokenizer folds text (lower
 * case, no diacritics). Queries drop them: they carry no topic, and each one costs the keyword
 * engine a long posting list (measured: ~3× slower FTS5 queries with them kept). Documents keep
 * them in the keyword index (FTS5 cannot drop them), but the local embedder leaves them out.
 */

export type Language = "en" | "pt" | "es";

const english = `a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each either else ever every few for from further had has
have having he her here hers herself him himself his how however i if in into is it its itself just least less let
many may me might more most much must my myself neither no nor not now of off often on once only or other ought our
ours ourselves out over own per perhaps quite rather same shall she should since so some still such than that the
their theirs them themselves then there these they this those though through thus to too under until up upon us very
was we were what whatever when where whether which while who whom whose why will with within without would yet you
your yours yourself yourselves also among been been etc via`;

const portuguese = `a ao aos aquela aquelas aquele aqueles aquilo as ate com como da das de dela delas dele deles
depois do dos e ela elas ele eles em entre era eram essa essas esse esses esta estao estas este estes estou eu foi fomos
for foram fosse fossem fui ha isso isto ja la lhe lhes mais mas me mesmo meu meus minha minhas muito na nao nas nem no
nos nossa nossas nosso nossos num numa o os ou para pela pelas pelo pelos por qual quando que quem se seja sejam sem
ser sera seu seus so sua suas tambem te tem temos tenho ter teu teus tu tua tuas um uma umas uns voce voces vos sao
esta estava estavam houve pode podem deve devem cada onde sobre ainda apenas assim entao porque`;

const spanish = `a al algo algunas algunos ante antes como con contra cual cuales cuando de del desde donde durante e
el ella ellas ello ellos en entre era eran es esa esas ese eso esos esta estaba estaban estan estar este esto estos
fue fueron ha han hasta hay la las le les lo los mas me mi mis mucho muchos muy nada ni no nos nosotros o os otra
otras otro otros para pero poco por porque que quien quienes se sea sean ser si sido sin sobre su sus tambien tan
tanto te tiene tienen todo todos tu tus un una unas uno unos usted ustedes y ya yo cada puede pueden debe deben
aunque entonces segun`;

function wordSet(words: string): ReadonlySet<string> {
	return new Set(words.split(/\s+/).filter((word) => word.length > 0));
}

export const stopwords: Readonly<Record<Language, ReadonlySet<string>>> = {
	en: wordSet(english),
	pt: wordSet(portuguese),
	es: wordSet(spanish),
};

/** Words that are function words in at least one supported language (for texts too short to tell). */
export const anyLanguageStopwords: ReadonlySet<string> = new Set([...stopwords.en, ...stopwords.pt, ...stopwords.es]);
