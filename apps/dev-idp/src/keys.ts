import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { writeFileAtomic } from './atomic-write.ts';

/** The provider's secrets: the private signing keys and the keys that sign its cookies. */
export interface ProviderKeys {
  /** Private JWKs; oidc-provider publishes their public halves at /jwks. */
  jwks: { keys: JWK[] };
  cookieKeys: string[];
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
  return parseKeys(file, text);
}

async function generateKeys(): Promise<ProviderKeys> {
  // RS256 is the algorithm every OpenID Connect client must support (OIDC Core §15.1),
  // and the default for ID tokens and JWT access tokens alike.
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return {
    jwks: { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] },
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
}

function parseKeys(file: string, text: string): ProviderKeys {
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
  return { jwks: keys.jwks, cookieKeys: keys.cookieKeys };
}
