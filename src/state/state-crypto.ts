/**
 * Encryption at rest for what a shared backend must not hold in plain text (stored create responses with their
 * auth tokens, retained images, webhook URLs). AES-256-GCM under a key ring: the newest key encrypts, every key
 * decrypts, so keys rotate by prepending a new one and dropping the old one once everything it sealed has expired.
 *
 * A sealed value describes itself: version byte, the id of the key that sealed it, IV, tag, ciphertext. The key id
 * is derived from the key (an HMAC, which tells nothing about the key), so the ring needs no separate naming and a
 * value sealed under a key that left the ring is refused by name rather than failing as "tampered".
 *
 * Every seal binds a context string as additional authenticated data (e.g. "image:<sessionId>"): a ciphertext
 * moved to another record does not open there.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { ENCRYPTION_KEY_BYTES, parseEncryptionKeyList } from "../lib/encryption-key-list.js";

const VERSION = 1;
const KEY_BYTES = ENCRYPTION_KEY_BYTES;
const KEY_ID_BYTES = 8;
/** 96-bit random IVs, the size GCM is specified for (NIST SP 800-38D §8.2.2). */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES + IV_BYTES + TAG_BYTES;

export class StateCryptoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateCryptoError";
  }
}

interface RingKey {
  id: Buffer;
  key: Buffer;
}

export interface StateCipher {
  /** The hex id of the key that encrypts (the first of the ring); safe to log. */
  readonly currentKeyId: string;
  seal(plaintext: Uint8Array | string, context: string): Buffer;
  /** Throws StateCryptoError when the value is malformed, tampered with, sealed for another context or by an unknown key. */
  open(sealed: Uint8Array, context: string): Buffer;
  /** seal() as base64 text, for values kept inside text (hash fields, JSON). */
  sealText(plaintext: string, context: string): string;
  openText(sealed: string, context: string): string;
  /** The hex id of the key that sealed `sealed` (to find values still under a retiring key). */
  keyIdOf(sealed: Uint8Array): string;
}

export function keyIdOf(key: Uint8Array): Buffer {
  return createHmac("sha256", key).update("lso state encryption key id").digest().subarray(0, KEY_ID_BYTES);
}

/**
 * Parses STATE_ENCRYPTION_KEY (lib/encryption-key-list.ts): throws with the first problem, which names the position
 * of a bad key, never its value.
 */
export function parseEncryptionKeys(value: string): Buffer[] {
  const { keys, problems } = parseEncryptionKeyList(value);
  if (problems.length) throw new StateCryptoError(problems[0]!);
  return keys;
}

export function createStateCipher(keys: readonly Uint8Array[]): StateCipher {
  if (keys.length === 0) throw new StateCryptoError("the key ring is empty");
  const ring: RingKey[] = keys.map((key, index) => {
    if (key.length !== KEY_BYTES) throw new StateCryptoError(`key ${index + 1} is ${key.length} bytes, not ${KEY_BYTES}`);
    return { id: keyIdOf(key), key: Buffer.from(key) };
  });
  const current = ring[0] as RingKey;

  const seal = (plaintext: Uint8Array | string, context: string): Buffer => {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", current.key, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), current.id, iv, cipher.getAuthTag(), body]);
  };

  const header = (sealed: Uint8Array) => {
    const data = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (data.length < HEADER_BYTES) throw new StateCryptoError("sealed value is truncated");
    if (data[0] !== VERSION) throw new StateCryptoError(`sealed value has unknown version ${data[0]}`);
    return { data, id: data.subarray(1, 1 + KEY_ID_BYTES) };
  };

  const open = (sealed: Uint8Array, context: string): Buffer => {
    const { data, id } = header(sealed);
    const entry = ring.find((k) => k.id.equals(id));
    if (!entry) throw new StateCryptoError(`sealed by key ${id.toString("hex")}, which is not in the key ring`);
    const ivEnd = 1 + KEY_ID_BYTES + IV_BYTES;
    const decipher = createDecipheriv("aes-256-gcm", entry.key, data.subarray(1 + KEY_ID_BYTES, ivEnd));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(data.subarray(ivEnd, HEADER_BYTES));
    try {
      return Buffer.concat([decipher.update(data.subarray(HEADER_BYTES)), decipher.final()]);
    } catch {
      // GCM does not say which: altered bytes, another record's context, or a wrong key under a colliding id.
      throw new StateCryptoError("sealed value failed authentication");
    }
  };

  return {
    currentKeyId: current.id.toString("hex"),
    seal,
    open,
    sealText: (plaintext, context) => seal(plaintext, context).toString("base64"),
    openText: (sealed, context) => open(Buffer.from(sealed, "base64"), context).toString("utf8"),
    keyIdOf: (sealed) => header(sealed).id.toString("hex"),
  };
}
