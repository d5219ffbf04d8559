import { languageNames } from "./rule-lexicon.js";
import { type LanguageRules, mapValue, statement } from "./rule-patterns.js";

const iAm = "(?:i'm|i am|im)";
const adverbs = "(?:(?:also|really|actually|now|currently|still|just|do|truly|definitely|even) )*";
const please = "(?:please,? )?(?:always )?";
const answers = "(?:answers|replies|responses)";
const manner = mapValue({
	formally: "formally",
	informally: "informally",
	casually: "informally",
	"in a formal way": "formally",
	"in a formal tone": "formally",
	"in a formal manner": "formally",
	"in an informal way": "informally",
	"in an informal tone": "informally",
	"in a casual way": "informally",
	"in a casual tone": "informally",
	"in a friendly way": "informally",
	"in a friendly tone": "informally",
});
const capitalised = (slots: Record<string, string>) => ({
	...slots,
	value: (slots.value ?? "").charAt(0).toUpperCase() + (slots.value ?? "").slice(1),
});
// What people "have" for a moment is not who they are.
const passing =
	"(?!(?:a|an|one) (?:question|problem|idea|doubt|issue|meeting|minute|moment|second|request|suggestion|bug|error|cold|headache)\\b)";

/** English. Order matters: the first pattern that matches a clause wins, so retractions and negations come first. */
export const englishRules: LanguageRules = {
	language: "en",
	patterns: [
		statement(`${iAm} no longer (?<value>.+)`, "attribute", "fact", "retract", "Is no longer {value}", "attribute"),
		statement(
			`${iAm} not (?<value>.+?) any ?more`,
			"attribute",
			"fact",
			"retract",
			"Is no longer {value}",
			"attribute",
		),
		statement(
			`i (?:no longer|don't|dont|do not) live in (?<value>.+?)(?: any ?more)?`,
			"residence",
			"fact",
			"retract",
			"No longer lives in {value}",
			"place",
		),

		statement("my name(?: is|'s) (?<value>.+)", "name", "fact", "positive", "Name is {value}", "name"),
		statement(
			`(?:${iAm} called|i go by|(?:you can |please )?call me) (?<value>.+)`,
			"name",
			"fact",
			"positive",
			"Name is {value}",
			"name",
			{
				requiresCapital: true,
			},
		),
		statement(
			`${iAm} ${adverbs}(?<value>\\d{1,3})(?: years? old| y/?o)?`,
			"age",
			"fact",
			"positive",
			"Is {value} years old",
			"age",
		),

		statement(
			`(?:i ${adverbs}(?:live|reside)|${iAm} ${adverbs}living) in (?<value>.+)`,
			"residence",
			"fact",
			"positive",
			"Lives in {value}",
			"place",
		),
		statement(
			`i(?:'ve| have)? ${adverbs}(?:moved|relocated) to (?<value>.+)`,
			"residence",
			"fact",
			"positive",
			"Lives in {value}",
			"place",
		),
		statement(
			`(?:${iAm}|i ${adverbs}come) from (?<value>.+)`,
			"origin",
			"fact",
			"positive",
			"Is from {value}",
			"place",
		),
		statement("i was born in (?<value>.+)", "birthplace", "fact", "positive", "Was born in {value}", "place"),

		statement(`i ${adverbs}work as (?<value>.+)`, "occupation", "fact", "positive", "Works as {value}", "phrase"),
		statement(
			`i ${adverbs}work (?<prep>at|for) (?<value>.+)`,
			"employer",
			"fact",
			"positive",
			"Works {prep} {value}",
			"phrase",
		),
		statement(
			"my favou?rite (?<thing>[\\p{L} ]{1,40}?) is (?<value>.+)",
			"favorite",
			"preference",
			"positive",
			"Favorite {thing} is {value}",
			"phrase",
		),
		statement(
			`i ${adverbs}(?:have|have got|'ve got) ${passing}(?<value>(?:a|an|one|two|three|four|five|\\d+) .+)`,
			"possession",
			"fact",
			"positive",
			"Has {value}",
			"phrase",
		),

		statement(
			`${please}(?:talk|speak|write) to me (?<value>formally|informally|casually|in an? (?:formal|informal|casual|friendly) (?:way|tone|manner))`,
			"preference",
			"preference",
			"positive",
			"Prefers to be addressed {value}",
			"fixed",
			{ rewrite: manner },
		),
		statement(
			`${please}(?:answer|reply|respond|write|talk|speak)(?: to me)? (?:always )?in (?<value>${languageNames.en})`,
			"preference",
			"preference",
			"positive",
			"Prefers answers in {value}",
			"fixed",
			{ rewrite: capitalised },
		),
		statement(
			`${please}keep (?:your |the )?${answers} (?<value>short|brief|concise)`,
			"preference",
			"preference",
			"positive",
			"Prefers {value} answers",
			"fixed",
		),
		statement(
			`${please}be (?:more )?(?<value>concise|brief)`,
			"preference",
			"preference",
			"positive",
			"Prefers {value} answers",
			"fixed",
		),
		statement(
			`i ${adverbs}(?:want|like|need) (?<value>short|shorter|brief|concise|long|longer|detailed) ${answers}`,
			"preference",
			"preference",
			"positive",
			"Prefers {value} answers",
			"fixed",
		),
		statement(
			`(?:i'd|i would|i) ${adverbs}prefer (?<value>.+)`,
			"preference",
			"preference",
			"positive",
			"Prefers {value}",
			"phrase",
		),

		statement(
			`i ${adverbs}(?:don't|dont|do not|no longer) (?:like|enjoy|love) (?<value>.+?)(?: any ?more)?`,
			"taste",
			"preference",
			"negative",
			"Dislikes {value}",
			"phrase",
		),
		statement(
			`i ${adverbs}(?:dislike|hate|detest|can't stand|cannot stand) (?<value>.+)`,
			"taste",
			"preference",
			"negative",
			"Dislikes {value}",
			"phrase",
		),
		statement(`i ${adverbs}(?:love|adore) (?<value>.+)`, "taste", "preference", "positive", "Loves {value}", "phrase"),
		statement(`i ${adverbs}enjoy (?<value>.+)`, "taste", "preference", "positive", "Enjoys {value}", "phrase"),
		statement(`i ${adverbs}like (?<value>.+)`, "taste", "preference", "positive", "Likes {value}", "phrase"),

		statement(`${iAm} not (?<value>.+)`, "attribute", "fact", "negative", "Is not {value}", "attribute"),
		statement(`${iAm} ${adverbs}(?<value>.+)`, "attribute", "fact", "positive", "Is {value}", "attribute"),
		// Last: "I'm Ana" only when nothing above read the word as a lasting attribute ("I'm Brazilian").
		statement(`${iAm} (?<value>\\p{Lu}[\\p{L}'-]+)`, "name", "fact", "positive", "Name is {value}", "name", {
			requiresCapital: true,
		}),
	],
};
