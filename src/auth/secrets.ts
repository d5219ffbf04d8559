import { createHash, randomBytes } from "node:crypto";

/** 256 random bits, URL-safe. */
export const randomSecret = (): string => randomBytes(32).toString("base64url");

/** For high-entropy secrets (API keys, refresh tokens) a fast hash is safe; passwords use argon2id. */
export const sha256Hex = (value: string): string => createHash("sha256").update(value).digest("hex");
