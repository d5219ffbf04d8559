/**
 * Vectors as stored bytes (Float32, platform byte order — little-endian on every machine Parley
 * runs on) and the cosine arithmetic the stores that scan vectors in JavaScript share, so every
 * backend gives the same scores and order.
 */

export function vectorToBytes(vector: Float32Array): Buffer {
	return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** Always a copy: a typed array needs 4-byte alignment, and the caller owns the record. */
export function bytesToVector(bytes: Uint8Array): Float32Array {
	const copy = new Uint8Array(bytes.byteLength - (bytes.byteLength % Float32Array.BYTES_PER_ELEMENT));
	copy.set(bytes.subarray(0, copy.byteLength));
	return new Float32Array(copy.buffer);
}

export function dotProduct(left: Float32Array, right: Float32Array): number {
	let sum = 0;
	for (let index = 0; index < left.length; index += 1) sum += left[index]! * right[index]!;
	return sum;
}

export function vectorNorm(vector: Float32Array): number {
	return Math.sqrt(dotProduct(vector, vector));
}
