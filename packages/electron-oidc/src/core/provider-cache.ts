import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as client from 'openid-client';

/**
 * Where the provider's discovery document rests between launches, so that a
 * silent sign-in at start-up needs no discovery request. What is stored is
 * public, but not harmless: a changed `token_endpoint` would send the refresh
 * token elsewhere. So a stored document is used only when its SHA-256 digest
 * equals the one kept with the refresh token in the vault (which other
 * programs cannot write), and only while the provider's `Cache-Control`
 * allows.
 */
export interface ProviderCacheStore {
  /** The stored text, or `undefined` when there is none. */
  read(): Promise<string | undefined>;
  /** Replaces the stored text. */
  write(value: string): Promise<void>;
}

/** How long a stored discovery document is used at most, whatever `max-age` the provider sends. */
export const MAX_PROVIDER_CACHE_SECONDS = 24 * 60 * 60;

const FORMAT_VERSION = 1;
const MAX_LENGTH = 256 * 1024;

/**
 * The discovery document in a file (in Electron: under `app.getPath('userData')`).
 * A missing or unreadable file reads as "nothing stored"; the file is written
 * for its owner only. A torn write is harmless: its digest no longer matches.
 */
export function fileProviderCache(file: string): ProviderCacheStore {
  return {
    async read() {
      try {
        return await readFile(file, 'utf8');
      } catch {
        return undefined;
      }
    },
    async write(value) {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await writeFile(file, value, { encoding: 'utf8', mode: 0o600 });
    },
  };
}

/** The digest kept in the vault: SHA-256 of the stored text, base64url. */
export function providerCacheDigest(raw: string): string {
  return createHash('sha256').update(raw, 'utf8').digest('base64url');
}

/**
 * For how many seconds a response may be reused, from its `Cache-Control` and
 * `Age` (RFC 9111 §4.2.1, §5.2.2): `max-age` minus `Age`, capped at
 * {@link MAX_PROVIDER_CACHE_SECONDS}. `undefined` (do not store) without
 * `max-age`, with `no-store` or `no-cache`, or when already stale: no
 * heuristic freshness.
 */
export function reusableSeconds(cacheControl: string | null, age: string | null): number | undefined {
  if (cacheControl === null) return undefined;
  let maxAge: number | undefined;
  for (const part of cacheControl.toLowerCase().split(',')) {
    const [name = '', value] = part.trim().split('=', 2);
    if (name === 'no-store' || name === 'no-cache') return undefined;
    if (name === 'max-age' && value !== undefined && /^"?\d+"?$/.test(value)) {
      maxAge = Number(value.replaceAll('"', ''));
    }
  }
  if (maxAge === undefined) return undefined;
  const ageSeconds = age !== null && /^\d+$/.test(age.trim()) ? Number(age.trim()) : 0;
  const seconds = Math.min(maxAge - ageSeconds, MAX_PROVIDER_CACHE_SECONDS);
  return seconds > 0 ? seconds : undefined;
}

/** Whether `issuer` names `expected`, with or without a trailing slash (as providers write it). */
export function sameIssuer(issuer: unknown, expected: string): boolean {
  return (
    typeof issuer === 'string' && URL.canParse(issuer) && new URL(issuer).href === new URL(expected).href
  );
}

/** The text to store for a discovery document usable until `expiresAt` (ms since the epoch). */
export function encodeProviderCache(metadata: client.ServerMetadata, expiresAt: number): string {
  return JSON.stringify({ v: FORMAT_VERSION, expires_at: expiresAt, metadata });
}

/**
 * The stored discovery document, if it may be used: its digest is `digest`,
 * it is not expired at `now`, and it is the configured `issuer`'s. Never
 * throws; anything else is `undefined` (discover again).
 */
export function decodeProviderCache(
  raw: string,
  expected: { readonly digest: string; readonly issuer: string; readonly now: number },
): client.ServerMetadata | undefined {
  if (raw.length > MAX_LENGTH || providerCacheDigest(raw) !== expected.digest) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, expires_at: expiresAt, metadata } = value as Record<string, unknown>;
  if (v !== FORMAT_VERSION || typeof expiresAt !== 'number' || expiresAt <= expected.now) return undefined;
  // Written while the clock was ahead: never used longer than the cap from now.
  if (expiresAt - expected.now > MAX_PROVIDER_CACHE_SECONDS * 1000) return undefined;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const issuer = (metadata as { issuer?: unknown }).issuer;
  return sameIssuer(issuer, expected.issuer) ? (metadata as client.ServerMetadata) : undefined;
}
