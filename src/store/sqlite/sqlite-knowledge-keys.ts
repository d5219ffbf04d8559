/**
 * Chunk keys come in one block per scope (see sqlite-knowledge-migrations.ts): key =
 * scope_number × chunkKeysPerScope + sequence. 2^26 keys per scope and up to 2^27 scopes keep
 * every key below 2^53, so JavaScript numbers hold them exactly.
 */
export const chunkKeysPerScope = 2 ** 26;
