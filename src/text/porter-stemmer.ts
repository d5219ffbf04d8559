/**
 * The Porter stemming algorithm (M. F. Porter, 1980, "An algorithm for suffix stripping"), as
 * published with its reference C implementation (including its "bli" → "ble" and "logi" → "log"
 * departures from the paper). It is the algorithm SQLite's FTS5 `porter` tokenizer applies, so the
 * local embedder and the keyword index reduce words to the same stems.
 *
 * Input: one lower-case word. Words shorter than three characters, and words with anything but
 * a–z and 0–9, are returned unchanged (the algorithm is defined for English letters only).
 */

// FTS5 stems tokens of letters and digits alike ("4degrees" → "4degre"); so does this.
const plainLowerCaseWord = /^[a-z0-9]+$/;

export function porterStem(word: string): string {
	if (word.length < 3 || !plainLowerCaseWord.test(word)) {
		return word;
	}
	let stem = step1a(word);
	stem = step1b(stem);
	stem = step1c(stem);
	stem = step2(stem);
	stem = step3(stem);
	stem = step4(stem);
	stem = step5(stem);
	return stem;
}

function isConsonant(word: string, index: number): boolean {
	switch (word.charCodeAt(index)) {
		case 97: // a
		case 101: // e
		case 105: // i
		case 111: // o
		case 117: // u
			return false;
		case 121: // y: a consonant at the start or after a vowel, a vowel after a consonant
			return index === 0 || !isConsonant(word, index - 1);
		default:
			return true;
	}
}

/** m in [C](VC)^m[V]: the number of vowel-consonant sequences in `stem`. */
function measure(stem: string): number {
	let count = 0;
	let index = 0;
	const length = stem.length;
	while (index < length && isConsonant(stem, index)) index++;
	while (index < length) {
		while (index < length && !isConsonant(stem, index)) index++;
		if (index >= length) break;
		count++;
		while (index < length && isConsonant(stem, index)) index++;
	}
	return count;
}

function containsVowel(stem: string): boolean {
	for (let index = 0; index < stem.length; index++) {
		if (!isConsonant(stem, index)) return true;
	}
	return false;
}

function endsWithDoubleConsonant(stem: string): boolean {
	const length = stem.length;
	return length >= 2 && stem[length - 1] === stem[length - 2] && isConsonant(stem, length - 1);
}

/** *o: the stem ends consonant-vowel-consonant, the last consonant not w, x or y. */
function endsConsonantVowelConsonant(stem: string): boolean {
	const length = stem.length;
	if (length < 3) return false;
	if (!isConsonant(stem, length - 1) || isConsonant(stem, length - 2) || !isConsonant(stem, length - 3)) {
		return false;
	}
	const last = stem[length - 1];
	return last !== "w" && last !== "x" && last !== "y";
}

function step1a(word: string): string {
	if (word.endsWith("sses")) return word.slice(0, -2);
	if (word.endsWith("ies")) return word.slice(0, -2);
	if (word.endsWith("ss")) return word;
	if (word.endsWith("s")) return word.slice(0, -1);
	return word;
}

function step1b(word: string): string {
	if (word.endsWith("eed")) {
		return measure(word.slice(0, -3)) > 0 ? word.slice(0, -1) : word;
	}
	let stem: string | undefined;
	if (word.endsWith("ed") && containsVowel(word.slice(0, -2))) {
		stem = word.slice(0, -2);
	} else if (word.endsWith("ing") && containsVowel(word.slice(0, -3))) {
		stem = word.slice(0, -3);
	}
	if (stem === undefined) return word;
	if (stem.endsWith("at") || stem.endsWith("bl") || stem.endsWith("iz")) return `${stem}e`;
	if (endsWithDoubleConsonant(stem)) {
		const last = stem[stem.length - 1];
		return last === "l" || last === "s" || last === "z" ? stem : stem.slice(0, -1);
	}
	if (measure(stem) === 1 && endsConsonantVowelConsonant(stem)) return `${stem}e`;
	return stem;
}

function step1c(word: string): string {
	if (word.endsWith("y") && containsVowel(word.slice(0, -1))) {
		return `${word.slice(0, -1)}i`;
	}
	return word;
}

/**
 * Replaces the longest listed suffix when the remaining stem satisfies `condition`. Only the
 * longest match counts: if its condition fails, shorter suffixes are not tried (as the algorithm says).
 */
function replaceLongestSuffix(
	word: string,
	rules: ReadonlyArray<readonly [suffix: string, replacement: string]>,
	condition: (stem: string, suffix: string) => boolean,
): string {
	for (const [suffix, replacement] of rules) {
		if (word.endsWith(suffix)) {
			const stem = word.slice(0, word.length - suffix.length);
			return condition(stem, suffix) ? stem + replacement : word;
		}
	}
	return word;
}

// Longest first within each shared ending, so the first match is the longest.
const step2Rules: ReadonlyArray<readonly [string, string]> = [
	["ational", "ate"],
	["tional", "tion"],
	["enci", "ence"],
	["anci", "ance"],
	["izer", "ize"],
	["bli", "ble"],
	["alli", "al"],
	["entli", "ent"],
	["eli", "e"],
	["ousli", "ous"],
	["ization", "ize"],
	["ation", "ate"],
	["ator", "ate"],
	["alism", "al"],
	["iveness", "ive"],
	["fulness", "ful"],
	["ousness", "ous"],
	["aliti", "al"],
	["iviti", "ive"],
	["biliti", "ble"],
	["logi", "log"],
];

const step3Rules: ReadonlyArray<readonly [string, string]> = [
	["icate", "ic"],
	["ative", ""],
	["alize", "al"],
	["iciti", "ic"],
	["ical", "ic"],
	["ful", ""],
	["ness", ""],
];

const step4Rules: ReadonlyArray<readonly [string, string]> = [
	["al", ""],
	["ance", ""],
	["ence", ""],
	["er", ""],
	["ic", ""],
	["able", ""],
	["ible", ""],
	["ant", ""],
	["ement", ""],
	["ment", ""],
	["ent", ""],
	["ion", ""],
	["ou", ""],
	["ism", ""],
	["ate", ""],
	["iti", ""],
	["ous", ""],
	["ive", ""],
	["ize", ""],
];

const sortedByLengthDescending = (rules: ReadonlyArray<readonly [string, string]>) =>
	[...rules].sort((left, right) => right[0].length - left[0].length);

const step2Ordered = sortedByLengthDescending(step2Rules);
const step3Ordered = sortedByLengthDescending(step3Rules);
const step4Ordered = sortedByLengthDescending(step4Rules);

function step2(word: string): string {
	return replaceLongestSuffix(word, step2Ordered, (stem) => measure(stem) > 0);
}

function step3(word: string): string {
	return replaceLongestSuffix(word, step3Ordered, (stem) => measure(stem) > 0);
}

function step4(word: string): string {
	return replaceLongestSuffix(word, step4Ordered, (stem, suffix) => {
		if (measure(stem) <= 1) return false;
		if (suffix === "ion") return stem.endsWith("s") || stem.endsWith("t");
		return true;
	});
}

function step5(word: string): string {
	let stem = word;
	if (stem.endsWith("e")) {
		const withoutE = stem.slice(0, -1);
		const stemMeasure = measure(withoutE);
		if (stemMeasure > 1 || (stemMeasure === 1 && !endsConsonantVowelConsonant(withoutE))) {
			stem = withoutE;
		}
	}
	if (stem.endsWith("ll") && measure(stem) > 1) {
		stem = stem.slice(0, -1);
	}
	return stem;
}
