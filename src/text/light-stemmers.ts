/**
 * Light stemmers for Portuguese and Spanish: they fold plural and gender endings and a few common
 * derivational suffixes, in the spirit of J. Savoy's light stemmers. For the lexical features of
 * the local embedder, conflating "proteção"/"proteções" or "modelo"/"modelos" is what matters; an
 * aggressive stemmer (RSLP, Snowball) over-conflates short words for little gain. Input is folded
 * (lower case, no diacritics) and only words of five letters or more are touched.
 */

const minimumLength = 5;

export function portugueseStem(word: string): string {
	if (word.length < minimumLength) return word;
	let stem = word;
	// Plurals: -oes/-aes/-aos → -ao, -ais → -al, -eis → -el, -ns → -m, -res/-zes/-ses → drop -es, -s.
	if (stem.endsWith("oes") || stem.endsWith("aes") || stem.endsWith("aos")) {
		stem = `${stem.slice(0, -3)}ao`;
	} else if (stem.endsWith("ais")) {
		stem = `${stem.slice(0, -3)}al`;
	} else if (stem.endsWith("eis")) {
		stem = `${stem.slice(0, -3)}el`;
	} else if (stem.endsWith("ns")) {
		stem = `${stem.slice(0, -2)}m`;
	} else if (stem.endsWith("res") || stem.endsWith("zes") || stem.endsWith("ses")) {
		stem = stem.slice(0, -2);
	} else if (stem.endsWith("s") && !stem.endsWith("ss")) {
		stem = stem.slice(0, -1);
	}
	if (stem.endsWith("mente") && stem.length > 7) {
		stem = stem.slice(0, -5);
	}
	return dropFinalVowel(stem);
}

export function spanishStem(word: string): string {
	if (word.length < minimumLength) return word;
	let stem = word;
	// Plurals: -ces → -z, -iones → -ion, -es after a consonant, -s after a vowel.
	if (stem.endsWith("ces")) {
		stem = `${stem.slice(0, -3)}z`;
	} else if (stem.endsWith("iones")) {
		stem = stem.slice(0, -2);
	} else if (stem.endsWith("es") && !isVowel(stem.charCodeAt(stem.length - 3))) {
		stem = stem.slice(0, -2);
	} else if (stem.endsWith("s") && isVowel(stem.charCodeAt(stem.length - 2))) {
		stem = stem.slice(0, -1);
	}
	if (stem.endsWith("mente") && stem.length > 7) {
		stem = stem.slice(0, -5);
	}
	return dropFinalVowel(stem);
}

/** Gender and theme vowels (-o/-a/-e): "modelo"/"modela", "rapido"/"rapida" meet at "model", "rapid". */
function dropFinalVowel(stem: string): string {
	if (stem.length >= minimumLength - 1) {
		const last = stem.charCodeAt(stem.length - 1);
		if (last === 97 || last === 101 || last === 111) return stem.slice(0, -1);
	}
	return stem;
}

function isVowel(code: number): boolean {
	return code === 97 || code === 101 || code === 105 || code === 111 || code === 117;
}
