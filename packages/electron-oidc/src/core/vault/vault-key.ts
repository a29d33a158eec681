import { randomBytes } from 'node:crypto';

/** AES-256: a 256-bit key. */
export const VAULT_KEY_BYTES = 32;

/**
 * The marker a stored key starts with. A key store entry is either a key
 * (`k1:` + 43 base64url characters) or, before migration, the whole session
 * as JSON (which starts with `{`): the marker tells them apart without
 * guessing, and the `1` leaves room for another kind of key later.
 */
export const VAULT_KEY_PREFIX = 'k1:';

const STORED_KEY = /^k1:([A-Za-z0-9_-]{43})$/;

/** A key, as bytes and in the form a key store keeps. */
export interface VaultKey {
  readonly key: Buffer;
  /** `k1:` and the key in base64url: 46 ASCII characters. */
  readonly stored: string;
}

/**
 * A fresh random key (CSPRNG). Its stored form is far below the smallest
 * keychain entry (Windows Credential Manager, 1,280 UTF-16 characters).
 */
export function createVaultKey(): VaultKey {
  const key = randomBytes(VAULT_KEY_BYTES);
  return { key, stored: VAULT_KEY_PREFIX + key.toString('base64url') };
}

/** The key bytes of a stored key, or `undefined` when `stored` is not one. */
export function parseVaultKey(stored: string | undefined): Buffer | undefined {
  const match = stored === undefined ? null : STORED_KEY.exec(stored);
  if (match?.[1] === undefined) return undefined;
  const key = Buffer.from(match[1], 'base64url');
  // Canonical encodings only: one stored form per key.
  return key.length === VAULT_KEY_BYTES && key.toString('base64url') === match[1] ? key : undefined;
}

/**
 * Whether a key store entry is a session stored before the key existed (a
 * KeyringVault entry of version 0.1: the session JSON itself). Such an entry is
 * moved into the sealed file on first read.
 */
export function isPlainSession(stored: string): boolean {
  if (!stored.startsWith('{')) return false;
  try {
    JSON.parse(stored);
    return true;
  } catch {
    return false;
  }
}
