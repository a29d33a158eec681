import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SEALED_IV_BYTES,
  SEALED_MAGIC,
  SEALED_TAG_BYTES,
  openSealedSession,
  sealSession,
} from '../../../src/core/vault/sealed-box.ts';
import { createVaultKey, isPlainSession, parseVaultKey } from '../../../src/core/vault/vault-key.ts';

const ACCOUNT = 'https://id.example.com/ desktop';
const HEADER = SEALED_MAGIC.length + 1;
const key = createVaultKey().key;
const session = JSON.stringify({ v: 1, refresh_token: 'rt.secret' });

function flipBit(data: Buffer, index: number): Buffer {
  const copy = Buffer.from(data);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

describe('the sealed session format', () => {
  it('opens what it sealed, for the same key and account', () => {
    expect(openSealedSession(sealSession(session, key, ACCOUNT), key, ACCOUNT)).toEqual({
      ok: true,
      value: session,
    });
  });

  it('starts with the format marker "EOSV" and version 1, and holds no plaintext', () => {
    const sealed = sealSession(session, key, ACCOUNT);
    expect(sealed.subarray(0, 5)).toEqual(Buffer.from('EOSV\x01', 'latin1'));
    expect(sealed.length).toBe(HEADER + SEALED_IV_BYTES + Buffer.byteLength(session) + SEALED_TAG_BYTES);
    expect(sealed.includes('rt.secret')).toBe(false);
  });

  it('uses a fresh random IV for every seal (NIST SP 800-38D §8.2.2)', () => {
    const ivs = new Set(
      Array.from({ length: 100 }, () =>
        sealSession(session, key, ACCOUNT)
          .subarray(HEADER, HEADER + SEALED_IV_BYTES)
          .toString('hex'),
      ),
    );
    expect(ivs.size).toBe(100);
  });

  it('round-trips an empty session and unicode', () => {
    for (const value of ['', 'Grüße 🔑 ключ 鍵']) {
      expect(openSealedSession(sealSession(value, key, ACCOUNT), key, ACCOUNT)).toEqual({ ok: true, value });
    }
  });

  it('refuses a key that is not 256 bits as a programming error', () => {
    expect(() => sealSession(session, randomBytes(16), ACCOUNT)).toThrow(TypeError);
  });
});

describe('the sealed session format refuses, never throwing', () => {
  const sealed = sealSession(session, key, ACCOUNT);
  const ivAt = HEADER;
  const ciphertextAt = HEADER + SEALED_IV_BYTES;
  const tagAt = sealed.length - SEALED_TAG_BYTES;

  it.each([
    ['the IV', ivAt],
    ['the IV (last byte)', ciphertextAt - 1],
    ['the ciphertext', ciphertextAt],
    ['the ciphertext (last byte)', tagAt - 1],
    ['the tag', tagAt],
    ['the tag (last byte)', sealed.length - 1],
  ])('one bit flipped in %s', (_, index) => {
    expect(openSealedSession(flipBit(sealed, index), key, ACCOUNT)).toEqual({
      ok: false,
      problem: 'unauthentic',
    });
  });

  it('every single-bit flip anywhere in the file', () => {
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const copy = Buffer.from(sealed);
      copy[bit >> 3] = (copy[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      expect(openSealedSession(copy, key, ACCOUNT).ok).toBe(false);
    }
  });

  it('a file sealed for another account (other associated data)', () => {
    expect(openSealedSession(sealed, key, 'https://id.example.com/ other-client')).toEqual({
      ok: false,
      problem: 'unauthentic',
    });
  });

  it('another key', () => {
    expect(openSealedSession(sealed, createVaultKey().key, ACCOUNT)).toEqual({
      ok: false,
      problem: 'unauthentic',
    });
  });

  it('another format version, even with the rest intact', () => {
    const relabelled = Buffer.from(sealed);
    relabelled[SEALED_MAGIC.length] = 2;
    expect(openSealedSession(relabelled, key, ACCOUNT)).toEqual({
      ok: false,
      problem: 'unsupported-version',
    });
  });

  it.each([0, 1, 4, 5, HEADER + SEALED_IV_BYTES, HEADER + SEALED_IV_BYTES + SEALED_TAG_BYTES - 1])(
    'a file cut to %i bytes',
    (length) => {
      expect(openSealedSession(sealed.subarray(0, length), key, ACCOUNT)).toEqual({
        ok: false,
        problem: 'truncated',
      });
    },
  );

  it('a file cut anywhere after its header', () => {
    for (let length = HEADER + SEALED_IV_BYTES + SEALED_TAG_BYTES; length < sealed.length; length++) {
      expect(openSealedSession(sealed.subarray(0, length), key, ACCOUNT).ok).toBe(false);
    }
  });

  it.each([
    ['a plaintext session (JSON)', Buffer.from(session)],
    ['random bytes', randomBytes(200)],
    ['text', Buffer.from('not a vault file\n')],
  ])('%s', (_, data) => {
    expect(openSealedSession(data, key, ACCOUNT)).toEqual({ ok: false, problem: 'not-sealed' });
  });
});

describe('the stored key', () => {
  it('is "k1:" and 43 base64url characters, 46 in all, and parses back to its 32 bytes', () => {
    const { key: bytes, stored } = createVaultKey();
    expect(stored).toMatch(/^k1:[A-Za-z0-9_-]{43}$/);
    expect(parseVaultKey(stored)).toEqual(bytes);
  });

  it.each([
    ['nothing', undefined],
    ['a session', session],
    ['another prefix', 'k2:' + randomBytes(32).toString('base64url')],
    ['a short key', 'k1:' + randomBytes(16).toString('base64url')],
    ['a non-canonical encoding', 'k1:' + 'A'.repeat(42) + 'B'],
    ['trailing text', createVaultKey().stored + '\n'],
  ])('is not %s', (_, stored) => {
    expect(parseVaultKey(stored)).toBeUndefined();
  });

  it('is told apart from a plain session entry, which is JSON', () => {
    expect(isPlainSession(session)).toBe(true);
    expect(isPlainSession(createVaultKey().stored)).toBe(false);
    expect(isPlainSession('{ not json')).toBe(false);
  });
});
