import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as client from 'openid-client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeProviderCache,
  encodeProviderCache,
  fileProviderCache,
  MAX_PROVIDER_CACHE_SECONDS,
  providerCacheDigest,
  reusableSeconds,
} from '../../src/core/provider-cache.ts';

const ISSUER = 'https://idp.example.com';
const METADATA: client.ServerMetadata = {
  issuer: ISSUER,
  token_endpoint: `${ISSUER}/token`,
  jwks_uri: `${ISSUER}/jwks`,
};
const NOW = 1_800_000_000_000;

describe('reusableSeconds (RFC 9111 freshness of the discovery response)', () => {
  it.each([
    ['public, max-age=3600', null, 3600],
    ['max-age=3600', '600', 3000],
    ['private, max-age="120"', null, 120],
    ['Max-Age=60, must-revalidate', null, 60],
    [`max-age=${10 * MAX_PROVIDER_CACHE_SECONDS}`, null, MAX_PROVIDER_CACHE_SECONDS],
  ])('%s with Age %s: %d s', (cacheControl, age, seconds) => {
    expect(reusableSeconds(cacheControl, age)).toBe(seconds);
  });

  it.each([
    [null, null],
    ['public', null],
    ['no-store, max-age=3600', null],
    ['max-age=3600, no-cache', null],
    ['max-age=0', null],
    ['max-age=60', '120'],
    ['max-age=-5', null],
    ['max-age=abc', null],
  ])('%s with Age %s: not stored', (cacheControl, age) => {
    expect(reusableSeconds(cacheControl, age)).toBeUndefined();
  });
});

describe('the stored discovery document', () => {
  const raw = encodeProviderCache(METADATA, NOW + 60_000);
  const expected = { digest: providerCacheDigest(raw), issuer: `${ISSUER}/`, now: NOW };

  it('is used when its digest matches, it is fresh and it is the issuer’s', () => {
    expect(decodeProviderCache(raw, expected)).toEqual(METADATA);
  });

  it('attacker: a changed byte (another token endpoint) no longer matches the digest in the vault', () => {
    const forged = raw.replace(`${ISSUER}/token`, 'https://evil.example/token');
    expect(decodeProviderCache(forged, expected)).toBeUndefined();
  });

  it('attacker: a forged file with its own matching digest still needs that digest in the vault', () => {
    const forged = encodeProviderCache(
      { ...METADATA, token_endpoint: 'https://evil.example/token' },
      NOW + 60_000,
    );
    expect(decodeProviderCache(forged, { ...expected, digest: providerCacheDigest(forged) })).toBeDefined();
    expect(decodeProviderCache(forged, expected)).toBeUndefined();
  });

  it('is not used once expired', () => {
    expect(decodeProviderCache(raw, { ...expected, now: NOW + 60_000 })).toBeUndefined();
  });

  it('is not used longer than the cap from now, even if written while the clock was ahead', () => {
    const farAhead = encodeProviderCache(METADATA, NOW + (MAX_PROVIDER_CACHE_SECONDS + 60) * 1000);
    expect(
      decodeProviderCache(farAhead, { ...expected, digest: providerCacheDigest(farAhead) }),
    ).toBeUndefined();
  });

  it('names its issuer with or without a trailing slash', () => {
    const slash = encodeProviderCache({ ...METADATA, issuer: `${ISSUER}/` }, NOW + 60_000);
    expect(decodeProviderCache(slash, { ...expected, digest: providerCacheDigest(slash) })).toBeDefined();
  });

  it('is not used for another issuer', () => {
    expect(decodeProviderCache(raw, { ...expected, issuer: 'https://other.example.com/' })).toBeUndefined();
  });

  it.each([
    ['not JSON', '{oops'],
    ['another version', JSON.stringify({ v: 2, expires_at: NOW + 60_000, metadata: METADATA })],
    ['no metadata', JSON.stringify({ v: 1, expires_at: NOW + 60_000 })],
    ['no expiry', JSON.stringify({ v: 1, metadata: METADATA })],
    [
      'an issuer that is not a URL',
      JSON.stringify({ v: 1, expires_at: NOW + 60_000, metadata: { issuer: 'x' } }),
    ],
  ])('%s: not used, never thrown', (_label, text) => {
    expect(decodeProviderCache(text, { ...expected, digest: providerCacheDigest(text) })).toBeUndefined();
  });
});

describe('fileProviderCache', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('reads nothing before the first write, then what was written, owner-only, creating the folder', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'electron-oidc-cache-'));
    dirs.push(dir);
    const file = path.join(dir, 'nested', 'provider.json');
    const store = fileProviderCache(file);
    expect(await store.read()).toBeUndefined();
    await store.write('{"v":1}');
    expect(await store.read()).toBe('{"v":1}');
    expect(await readFile(file, 'utf8')).toBe('{"v":1}');
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
