import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local fake of AWS KMS speaking its wire protocol (JSON 1.1: POST /, X-Amz-Target
 * "TrentService.<Operation>", base64 blobs), so the real @aws-sdk/client-kms is the client.
 * Encrypt, Decrypt and DescribeKey, with real AES-256-GCM under one key per KMS key; the
 * EncryptionContext is authenticated, so Decrypt with another context fails as KMS's does
 * (InvalidCiphertextException). Signatures are not checked.
 */

const region = "us-east-1";
const account = "111122223333";

export interface FakeKmsKey {
	/** What tests pass as PARLEY_KMS_KEY_ID: an alias name such as "alias/parley-one". */
	alias: string;
	keyId: string;
	arn: string;
}

export interface RecordedKmsRequest {
	/** "Encrypt", "Decrypt", "DescribeKey" … */
	operation: string;
	contentType: string | undefined;
	body: Record<string, unknown>;
}

export interface FakeKms {
	/** e.g. http://127.0.0.1:41234, for PARLEY_KMS_ENDPOINT. */
	readonly url: string;
	readonly keys: FakeKmsKey[];
	readonly requests: RecordedKmsRequest[];
	/** While true, requests are read and never answered (KMS unreachable behind a black hole). */
	hang(on: boolean): void;
	close(): Promise<void>;
}

interface KeyMaterial extends FakeKmsKey {
	secret: Buffer;
}

const magic = Buffer.from("FKMS1", "ascii");
const keyIdBytes = 36;

class KmsError extends Error {
	constructor(
		readonly type: string,
		message: string,
	) {
		super(message);
	}
}

/** The context as KMS treats it: a set of pairs, order not significant. */
const canonicalContext = (context: unknown): Buffer => {
	const entries = Object.entries((context ?? {}) as Record<string, string>).sort(([a], [b]) => a.localeCompare(b));
	return Buffer.from(JSON.stringify(entries), "utf8");
};

export async function startFakeKms(aliases: string[]): Promise<FakeKms> {
	const keys: KeyMaterial[] = aliases.map((alias) => {
		const keyId = randomUUID();
		return { alias, keyId, arn: `arn:aws:kms:${region}:${account}:key/${keyId}`, secret: randomBytes(32) };
	});
	const requests: RecordedKmsRequest[] = [];
	let hanging = false;

	const resolve = (reference: unknown): KeyMaterial => {
		const text = String(reference ?? "");
		const key = keys.find(
			(candidate) =>
				text === candidate.keyId ||
				text === candidate.arn ||
				text === candidate.alias ||
				text === `arn:aws:kms:${region}:${account}:${candidate.alias}`,
		);
		if (key === undefined) throw new KmsError("NotFoundException", `Key '${text}' does not exist`);
		return key;
	};

	const blob = (value: unknown, name: string): Buffer => {
		if (typeof value !== "string") throw new KmsError("ValidationException", `${name} is required`);
		return Buffer.from(value, "base64");
	};

	const operations: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
		Encrypt(body) {
			const key = resolve(body.KeyId);
			const iv = randomBytes(12);
			const cipher = createCipheriv("aes-256-gcm", key.secret, iv);
			cipher.setAAD(canonicalContext(body.EncryptionContext));
			const encrypted = Buffer.concat([cipher.update(blob(body.Plaintext, "Plaintext")), cipher.final()]);
			const ciphertext = Buffer.concat([magic, Buffer.from(key.keyId, "ascii"), iv, encrypted, cipher.getAuthTag()]);
			return {
				CiphertextBlob: ciphertext.toString("base64"),
				KeyId: key.arn,
				EncryptionAlgorithm: "SYMMETRIC_DEFAULT",
			};
		},
		Decrypt(body) {
			const ciphertext = blob(body.CiphertextBlob, "CiphertextBlob");
			const header = magic.length + keyIdBytes + 12;
			if (ciphertext.length < header + 16 || !ciphertext.subarray(0, magic.length).equals(magic)) {
				throw new KmsError("InvalidCiphertextException", "The ciphertext is not a KMS ciphertext");
			}
			const key = keys.find(
				(candidate) =>
					candidate.keyId === ciphertext.subarray(magic.length, magic.length + keyIdBytes).toString("ascii"),
			);
			if (key === undefined) throw new KmsError("InvalidCiphertextException", "The ciphertext names no key here");
			if (body.KeyId !== undefined && resolve(body.KeyId).keyId !== key.keyId) {
				throw new KmsError(
					"IncorrectKeyException",
					"The key ID in the request does not identify the key used to encrypt",
				);
			}
			try {
				const decipher = createDecipheriv("aes-256-gcm", key.secret, ciphertext.subarray(header - 12, header));
				decipher.setAAD(canonicalContext(body.EncryptionContext));
				decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
				const plaintext = Buffer.concat([
					decipher.update(ciphertext.subarray(header, ciphertext.length - 16)),
					decipher.final(),
				]);
				return { KeyId: key.arn, Plaintext: plaintext.toString("base64"), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
			} catch {
				throw new KmsError("InvalidCiphertextException", "");
			}
		},
		DescribeKey(body) {
			const key = resolve(body.KeyId);
			return {
				KeyMetadata: {
					AWSAccountId: account,
					KeyId: key.keyId,
					Arn: key.arn,
					Enabled: true,
					KeyState: "Enabled",
					KeyUsage: "ENCRYPT_DECRYPT",
					KeySpec: "SYMMETRIC_DEFAULT",
					CreationDate: Math.floor(Date.now() / 1000),
				},
			};
		},
	};

	const answer = (response: ServerResponse, status: number, body: unknown) => {
		response.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomUUID() });
		response.end(JSON.stringify(body));
	};

	const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
		const chunks: Buffer[] = [];
		for await (const chunk of request) chunks.push(chunk as Buffer);
		if (hanging) return;
		const target = String(request.headers["x-amz-target"] ?? "");
		const operation = target.startsWith("TrentService.") ? target.slice("TrentService.".length) : target;
		let body: Record<string, unknown>;
		try {
			body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
		} catch {
			answer(response, 400, { __type: "SerializationException", message: "body is not JSON" });
			return;
		}
		requests.push({ operation, contentType: request.headers["content-type"], body });
		const handler = operations[operation];
		if (request.method !== "POST" || handler === undefined) {
			answer(response, 400, { __type: "UnknownOperationException", message: `no operation ${target}` });
			return;
		}
		try {
			answer(response, 200, handler(body));
		} catch (error) {
			if (!(error instanceof KmsError)) throw error;
			answer(response, 400, { __type: error.type, message: error.message });
		}
	});
	await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
	const { port } = server.address() as AddressInfo;

	return {
		url: `http://127.0.0.1:${port}`,
		keys: keys.map(({ alias, keyId, arn }) => ({ alias, keyId, arn })),
		requests,
		hang(on) {
			hanging = on;
		},
		close: () =>
			new Promise<void>((resolveClose, reject) => {
				server.closeAllConnections();
				server.close((error) => (error ? reject(error) : resolveClose()));
			}),
	};
}
