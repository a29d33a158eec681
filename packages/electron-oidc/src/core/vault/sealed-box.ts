import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { VAULT_KEY_BYTES } from './vault-key.ts';

/**
 * The sealed session file, version 1:
 *
 * ```
 * offset  size  content
 * 0       4     magic "EOSV" (electron-oidc sealed vault)
 * 4       1     format version, 0x01
 * 5       12    IV, random per write
 * 17      n     AES-256-GCM ciphertext of the session (UTF-8)
 * 17+n    16    GCM authentication tag
 * ```
 *
 * The associated data is the 5-byte header followed by the vault's identity
 * (UTF-8; `<issuer> <clientId>` by default), so a file moved from another
 * account's entry, or relabelled with another version byte, fails the tag
 * check instead of being read.
 */
export const SEALED_MAGIC = Buffer.from('EOSV', 'ascii');
export const SEALED_VERSION = 1;
const HEADER_BYTES = SEALED_MAGIC.length + 1;
/**
 * 96 bits: the IV length NIST SP 800-38D §8.2.2 recommends for random IVs.
 * A random IV per write keeps the chance of a repeat (which would reveal the
 * XOR of two sessions and allow forgeries) negligible while a key seals fewer
 * than 2^32 files; a session is rewritten once per token refresh, so a key
 * would need thousands of years of refreshes every minute to get near.
 */
export const SEALED_IV_BYTES = 12;
/** The full 128-bit tag (SP 800-38D §5.2.1.2); shorter tags are refused, never truncated. */
export const SEALED_TAG_BYTES = 16;
/** Anything larger is not a session this library wrote (sessions stay under 64 KB). */
export const MAX_SEALED_BYTES = 1024 * 1024;

/** Why a file was not opened; each is logged and read as "signed out". */
export type SealedFileProblem = 'not-sealed' | 'unsupported-version' | 'truncated' | 'unauthentic';

export type OpenedSealedFile =
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly problem: SealedFileProblem };

function header(): Buffer {
  return Buffer.concat([SEALED_MAGIC, Buffer.of(SEALED_VERSION)]);
}

function associatedData(head: Buffer, identity: string): Buffer {
  return Buffer.concat([head, Buffer.from(identity, 'utf8')]);
}

function checkKey(key: Buffer): void {
  if (key.length !== VAULT_KEY_BYTES) throw new TypeError('The vault key must be 32 bytes (AES-256).');
}

/** Encrypts and authenticates `value` for the vault named by `identity`. */
export function sealSession(value: string, key: Buffer, identity: string): Buffer {
  checkKey(key);
  const head = header();
  const iv = randomBytes(SEALED_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: SEALED_TAG_BYTES });
  cipher.setAAD(associatedData(head, identity));
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return Buffer.concat([head, iv, ciphertext, cipher.getAuthTag()]);
}

/**
 * The session in a sealed file, or why it cannot be had. Never throws on
 * malformed input: the bytes come from a file anyone with the user's rights
 * could have written.
 */
export function openSealedSession(data: Buffer, key: Buffer, identity: string): OpenedSealedFile {
  checkKey(key);
  // A prefix of the magic (an empty file included) is a cut-off file, not a foreign one.
  const magic = data.subarray(0, SEALED_MAGIC.length);
  if (!magic.equals(SEALED_MAGIC.subarray(0, magic.length))) return { ok: false, problem: 'not-sealed' };
  if (data.length > SEALED_MAGIC.length && data[SEALED_MAGIC.length] !== SEALED_VERSION) {
    return { ok: false, problem: 'unsupported-version' };
  }
  if (data.length < HEADER_BYTES + SEALED_IV_BYTES + SEALED_TAG_BYTES) {
    return { ok: false, problem: 'truncated' };
  }
  const iv = data.subarray(HEADER_BYTES, HEADER_BYTES + SEALED_IV_BYTES);
  const ciphertext = data.subarray(HEADER_BYTES + SEALED_IV_BYTES, data.length - SEALED_TAG_BYTES);
  const tag = data.subarray(data.length - SEALED_TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: SEALED_TAG_BYTES });
  decipher.setAAD(associatedData(data.subarray(0, HEADER_BYTES), identity));
  decipher.setAuthTag(tag);
  try {
    // Nothing of the plaintext is used before final() has checked the tag.
    const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    return { ok: true, value: new TextDecoder('utf-8', { fatal: true }).decode(plaintext) };
  } catch {
    return { ok: false, problem: 'unauthentic' };
  }
}

/** What each problem means, for the log line (no token, no file content). */
export const SEALED_FILE_PROBLEM_TEXT: Readonly<Record<SealedFileProblem, string>> = Object.freeze({
  'not-sealed': 'it is not a sealed session file (wrong format marker)',
  'unsupported-version': 'it was written in a format version this library does not read',
  truncated: 'it is truncated',
  unauthentic:
    'it failed authentication (changed on disk, sealed with another key, or belonging to another account)',
});
