import { createECDH, hkdfSync } from "node:crypto";
import type { JWK } from "jose";

/**
 * An ES256 signing key derived from a 256-bit secret seed (AUTH_SIGNING_KEY_SEED, 64 hex
 * digits). Where no file can persist a generated key (AWS Lambda) and nothing can generate a
 * PEM (Secrets Manager only makes random strings), a generated hex seed is enough: every
 * process derives the same key from it. HKDF-SHA256 with a fixed label makes the P-256 private
 * scalar; the rare output outside 1..n−1 is skipped by a counter in the label.
 */

// Order of the P-256 group.
const curveOrder = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

export const signingKeySeedPattern = /^[0-9a-fA-F]{64}$/;

export function signingJwkFromSeed(seedHex: string): JWK {
	if (!signingKeySeedPattern.test(seedHex)) throw new Error("a signing key seed is 64 hex digits");
	const seed = Buffer.from(seedHex, "hex");
	for (let counter = 0; counter < 16; counter += 1) {
		const candidate = Buffer.from(hkdfSync("sha256", seed, Buffer.alloc(0), `parley es256 signing key ${counter}`, 32));
		const scalar = BigInt(`0x${candidate.toString("hex")}`);
		if (scalar === 0n || scalar >= curveOrder) continue;
		const curve = createECDH("prime256v1");
		curve.setPrivateKey(candidate);
		const publicKey = curve.getPublicKey(); // 0x04 ‖ x ‖ y
		return {
			kty: "EC",
			crv: "P-256",
			alg: "ES256",
			d: candidate.toString("base64url"),
			x: publicKey.subarray(1, 33).toString("base64url"),
			y: publicKey.subarray(33, 65).toString("base64url"),
		};
	}
	throw new Error("no valid signing key could be derived from the seed");
}
