import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { writeFileAtomic } from 'electron-oidc/atomic-file';

/** The provider's secrets: the private signing keys, the keys that sign its cookies and the DPoP nonce secret. */
export interface ProviderKeys {
  /** Private JWKs; oidc-provider publishes their public halves at /jwks. */
  jwks: { keys: JWK[] };
  cookieKeys: string[];
  /**
   * 32 bytes, base64url: what oidc-provider derives DPoP nonces from (RFC 9449 §8).
   * Kept with the other keys so that a nonce handed out before a restart is still
   * taken after it, as the signing and cookie keys keep tokens and sessions.
   */
  dpopNonceSecret: string;
}

export const KEYS_FILE = 'keys.json';

/**
 * Loads the provider's keys from the data folder, creating them on first use.
 * Keeping them means ID tokens, access tokens and session cookies issued
 * before a restart still verify after it.
 */
export async function loadOrCreateKeys(dataDir: string): Promise<ProviderKeys> {
  const file = path.join(dataDir, KEYS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const keys = await generateKeys();
    await writeFileAtomic(file, JSON.stringify(keys, null, 2));
    return keys;
  }
  const { dpopNonceSecret, ...keys } = parseKeys(file, text);
  if (dpopNonceSecret !== undefined) return { ...keys, dpopNonceSecret };
  // A data folder from before DPoP nonces: add the secret, keep everything else.
  const upgraded = { ...keys, dpopNonceSecret: newSecret() };
  await writeFileAtomic(file, JSON.stringify(upgraded, null, 2));
  return upgraded;
}

/** The DPoP nonce secret as oidc-provider takes it (`features.dPoP.nonceSecret`). */
export function dpopNonceSecretOf(keys: ProviderKeys): Buffer {
  return Buffer.from(keys.dpopNonceSecret, 'base64url');
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

async function generateKeys(): Promise<ProviderKeys> {
  // RS256 is the algorithm every OpenID Connect client must support (OIDC Core §15.1),
  // and the default for ID tokens and JWT access tokens alike.
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return {
    jwks: { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] },
    cookieKeys: [newSecret()],
    dpopNonceSecret: newSecret(),
  };
}

/** The key file as read: older ones have no DPoP nonce secret yet. */
type StoredKeys = Omit<ProviderKeys, 'dpopNonceSecret'> & Partial<Pick<ProviderKeys, 'dpopNonceSecret'>>;

function parseKeys(file: string, text: string): StoredKeys {
  const corrupt = (why: string) =>
    new Error(
      `The provider's key file ${file} is unusable (${why}); run "npm run idp:reset" to start afresh.`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt('not JSON');
  }
  const keys = parsed as Partial<ProviderKeys> | null;
  if (!Array.isArray(keys?.jwks?.keys) || keys.jwks.keys.length === 0 || !keys.jwks.keys.every((k) => k.d)) {
    throw corrupt('no private signing keys');
  }
  if (!Array.isArray(keys.cookieKeys) || keys.cookieKeys.length === 0) {
    throw corrupt('no cookie keys');
  }
  const { dpopNonceSecret } = keys;
  if (dpopNonceSecret !== undefined && Buffer.from(String(dpopNonceSecret), 'base64url').length !== 32) {
    throw corrupt('the DPoP nonce secret is not 32 bytes');
  }
  return { jwks: keys.jwks, cookieKeys: keys.cookieKeys, dpopNonceSecret };
}
