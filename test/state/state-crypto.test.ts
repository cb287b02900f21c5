import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createStateCipher, parseEncryptionKeys, StateCryptoError } from "../../src/state/state-crypto.js";

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const TOKEN = "auth-token-secret-value-0123456789";

describe("state encryption at rest", () => {
  it("when a value is sealed and opened with the same context, then the plaintext comes back and is not in the sealed bytes", () => {
    const cipher = createStateCipher([keyA]);
    const sealed = cipher.seal(TOKEN, "idempotency:k1");
    expect(sealed.includes(Buffer.from(TOKEN))).toBe(false);
    expect(cipher.open(sealed, "idempotency:k1").toString("utf8")).toBe(TOKEN);
  });

  it("when binary data is sealed twice, then the two ciphertexts differ (fresh IV) and both open", () => {
    const cipher = createStateCipher([keyA]);
    const bytes = randomBytes(4096);
    const [one, two] = [cipher.seal(bytes, "image:s1"), cipher.seal(bytes, "image:s1")];
    expect(one.equals(two)).toBe(false);
    expect(cipher.open(one, "image:s1").equals(bytes)).toBe(true);
    expect(cipher.open(two, "image:s1").equals(bytes)).toBe(true);
  });

  it("when the text form is used, then it round-trips through base64", () => {
    const cipher = createStateCipher([keyA]);
    const sealed = cipher.sealText("https://hooks.example/x?token=abc", "outbox-url:w1");
    expect(sealed).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(cipher.openText(sealed, "outbox-url:w1")).toBe("https://hooks.example/x?token=abc");
  });

  it("when a new key is put first, then new values are sealed with it and values sealed under the old key still open", () => {
    const before = createStateCipher([keyA]);
    const old = before.seal(TOKEN, "c");
    const rotated = createStateCipher([keyB, keyA]);
    const fresh = rotated.seal(TOKEN, "c");
    expect(rotated.keyIdOf(fresh)).toBe(rotated.currentKeyId);
    expect(rotated.keyIdOf(old)).toBe(before.currentKeyId);
    expect(rotated.currentKeyId).not.toBe(before.currentKeyId);
    expect(rotated.open(old, "c").toString()).toBe(TOKEN);
    expect(rotated.open(fresh, "c").toString()).toBe(TOKEN);
  });

  it("when the old key is dropped from the ring, then its values are refused by key id", () => {
    const old = createStateCipher([keyA]).seal(TOKEN, "c");
    expect(() => createStateCipher([keyB]).open(old, "c")).toThrow(/not in the key ring/);
  });

  it("when any byte of a sealed value is flipped, then opening it fails authentication", () => {
    const cipher = createStateCipher([keyA]);
    const sealed = cipher.seal(TOKEN, "c");
    // Past the version byte and key id: IV, tag and ciphertext are all authenticated.
    for (let i = 9; i < sealed.length; i += 1) {
      const tampered = Buffer.from(sealed);
      tampered[i] = (tampered[i] as number) ^ 0x01;
      expect(() => cipher.open(tampered, "c")).toThrow(StateCryptoError);
    }
  });

  it("when a sealed value is opened under another context, then it is refused", () => {
    const cipher = createStateCipher([keyA]);
    expect(() => cipher.open(cipher.seal(TOKEN, "image:s1"), "image:s2")).toThrow(/failed authentication/);
  });

  it("when a value is truncated or has an unknown version, then it is refused with a clear reason", () => {
    const cipher = createStateCipher([keyA]);
    const sealed = cipher.seal(TOKEN, "c");
    expect(() => cipher.open(sealed.subarray(0, 20), "c")).toThrow(/truncated/);
    const future = Buffer.from(sealed);
    future[0] = 2;
    expect(() => cipher.open(future, "c")).toThrow(/unknown version 2/);
  });

  it("when a key of the wrong length is given, then the ring refuses it", () => {
    expect(() => createStateCipher([randomBytes(16)])).toThrow(/16 bytes, not 32/);
    expect(() => createStateCipher([])).toThrow(/empty/);
  });
});

describe("STATE_ENCRYPTION_KEY parsing", () => {
  it("when keys are comma separated base64, then they come back in order, newest first", () => {
    const keys = parseEncryptionKeys(` ${keyB.toString("base64")} , ${keyA.toString("base64")}`);
    expect(keys.map((k) => k.toString("hex"))).toEqual([keyB.toString("hex"), keyA.toString("hex")]);
  });

  it("when a key is not 32 bytes of base64, then the error names its position and not its value", () => {
    const short = randomBytes(31).toString("base64");
    const error = (() => {
      try {
        parseEncryptionKeys(`${keyA.toString("base64")},${short}`);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/^key 2 is not 32 bytes of base64 /);
    expect(() => parseEncryptionKeys(`${keyA.toString("base64").slice(0, -2)}!!`)).toThrow(/key 1/);
    expect(() => parseEncryptionKeys(" , ")).toThrow(/at least one key/);
  });

  it("when the same key is listed twice, then it is refused", () => {
    expect(() => parseEncryptionKeys(`${keyA.toString("base64")},${keyA.toString("base64")}`)).toThrow(/twice/);
  });
});
