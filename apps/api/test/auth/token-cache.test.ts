// The cache of verified tokens, from the attacker's side: it must never accept what the full
// check would refuse at that moment. (The whole rejection suite also runs with the cache on
// and warm: see token-validation, scope and issuer-keys tests.)
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeIssuer } from '@electron-oidc/test-support';
import { createIssuerKeys, createTokenCache, InvalidTokenError } from '../../src/index.ts';
import type { AccessTokenVerifier, KeysRemovedListener, VerifiedAccessToken } from '../../src/index.ts';
import { challenge, startTestApi } from '../support/api.ts';
import type { TestApi } from '../support/api.ts';
import { bearer } from '../support/http.ts';

let issuer: FakeIssuer;
beforeEach(async () => {
  issuer = await FakeIssuer.start();
});
afterEach(async () => {
  vi.useRealTimers();
  await issuer.close();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function statusOf(api: TestApi, token: string): Promise<number> {
  return (await api.get('/private', { headers: bearer(token) })).status;
}

describe('through the API', () => {
  it('refuses a remembered token once its key has left the JWKS and the JWKS was refetched', async () => {
    const api = await startTestApi(issuer, { jwksCooldownMs: 0 });
    const oldToken = await issuer.sign();
    expect(await statusOf(api, oldToken)).toBe(200);
    expect(await statusOf(api, oldToken)).toBe(200); // now remembered

    const oldKey = issuer.currentKey;
    await issuer.addKey({ sign: true });
    issuer.removeKey(oldKey.kid);
    // A token of the new key has an unknown kid: the API refetches the JWKS.
    expect(await statusOf(api, await issuer.sign())).toBe(200);
    expect(issuer.requests.jwks).toBe(2);

    const res = await api.get('/private', { headers: bearer(oldToken) });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      challenge('invalid_token', "No key of the issuer matches the access token's kid."),
    );
  });

  it('keeps remembering tokens of keys still published when another key is added', async () => {
    const api = await startTestApi(issuer, { jwksCooldownMs: 0 });
    const token = await issuer.sign();
    expect(await statusOf(api, token)).toBe(200);
    await issuer.addKey({ sign: true });
    expect(await statusOf(api, await issuer.sign())).toBe(200);
    expect(await statusOf(api, token)).toBe(200);
  });

  it('stops serving a remembered token at its exp: the clock tolerance is not stretched', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = await startTestApi(issuer, { clockToleranceSeconds: 0 });
    const exp = nowSeconds() + 60;
    const token = await issuer.sign({ claims: { exp } });
    expect(await statusOf(api, token)).toBe(200);
    expect(await statusOf(api, token)).toBe(200);

    vi.setSystemTime(exp * 1000);
    const res = await api.get('/private', { headers: bearer(token) });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'The access token has expired.' });
  });

  it('past exp, answers exactly as the full check does (within the tolerance, then refused)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = await startTestApi(issuer); // 30 s tolerance
    const exp = nowSeconds() + 60;
    const token = await issuer.sign({ claims: { exp } });
    expect(await statusOf(api, token)).toBe(200);
    vi.setSystemTime((exp + 10) * 1000);
    expect(await statusOf(api, token)).toBe(200);
    vi.setSystemTime((exp + 31) * 1000);
    expect(await statusOf(api, token)).toBe(401);
  });

  it('refuses a remembered token whose nbf is ahead again after the clock went back', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = await startTestApi(issuer); // 30 s tolerance
    const start = Date.now();
    const token = await issuer.sign({ claims: { nbf: nowSeconds() + 20 } });
    expect(await statusOf(api, token)).toBe(200);
    expect(await statusOf(api, token)).toBe(200);
    vi.setSystemTime(start - 60_000);
    const res = await api.get('/private', { headers: bearer(token) });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error_description: 'The access token is not valid yet.' });
  });

  it('trusts a remembered token no longer than the JWKS it was checked with is fresh', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = await startTestApi(issuer, { jwksCacheMaxAgeMs: 1_000 });
    const token = await issuer.sign();
    expect(await statusOf(api, token)).toBe(200);
    const oldKey = issuer.currentKey;
    await issuer.addKey({ sign: true });
    issuer.removeKey(oldKey.kid);
    // The key set is stale now: the full check refetches it and no longer finds the key.
    vi.setSystemTime(Date.now() + 2_000);
    expect(await statusOf(api, token)).toBe(401);
  });

  it('never serves a remembered token while the key set is stale: during a JWKS outage it answers 503 like the full check', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = await startTestApi(issuer, { jwksCacheMaxAgeMs: 1_000 });
    const start = Date.now();
    expect(await statusOf(api, await issuer.sign())).toBe(200); // JWKS fetched at start
    vi.setSystemTime(start + 800);
    const token = await issuer.sign();
    expect(await statusOf(api, token)).toBe(200); // remembered until start + 1800
    expect(issuer.requests.jwks).toBe(1);

    // The key set went stale at start + 1000; the issuer's JWKS endpoint is down now.
    issuer.mode.jwks = 'error';
    vi.setSystemTime(start + 1_200);
    const res = await api.get('/private', { headers: bearer(token) });
    expect(res.status).toBe(503);
    expect(issuer.requests.jwks).toBe(2);
  });

  it('TOKEN_CACHE=off verifies every request in full', async () => {
    const api = await startTestApi(issuer, { tokenCache: 'off', jwksCooldownMs: 0, jwksCacheMaxAgeMs: 0 });
    const token = await issuer.sign();
    expect(await statusOf(api, token)).toBe(200);
    expect(await statusOf(api, token)).toBe(200);
    expect(issuer.requests.jwks).toBe(2); // a fresh JWKS for each full check
  });
});

/** A verifier whose answers a test decides, counting its calls. */
function scriptedVerifier() {
  const calls: string[] = [];
  let pending: ((result: VerifiedAccessToken) => void) | undefined;
  const verifier: AccessTokenVerifier & { calls: string[]; hold: boolean; release(): void } = {
    calls,
    hold: false,
    release: () => pending?.(resultFor('held', 'k1')),
    verify(token) {
      calls.push(token);
      if (token.startsWith('bad'))
        return Promise.reject(new InvalidTokenError('The access token is malformed.'));
      if (verifier.hold) return new Promise((resolve) => (pending = resolve));
      return Promise.resolve(resultFor(token, token.startsWith('nokid') ? undefined : 'k1'));
    },
  };
  return verifier;
}

function resultFor(sub: string, kid: string | undefined, exp = nowSeconds() + 300): VerifiedAccessToken {
  return {
    header: kid === undefined ? { alg: 'RS256' } : { alg: 'RS256', kid },
    claims: { sub, exp, iat: nowSeconds() },
    scopes: new Set(['read:messages']),
  };
}

function keyEvents() {
  const listeners = new Set<KeysRemovedListener>();
  return {
    onKeysRemoved(listener: KeysRemovedListener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    remove: (...kids: string[]) => listeners.forEach((listener) => listener(new Set(kids))),
    fresh: true,
    isFresh(): boolean {
      return this.fresh;
    },
  };
}

describe('createTokenCache', () => {
  it('remembers successes only: a flood of distinct garbage leaves it empty', async () => {
    const verifier = scriptedVerifier();
    const cache = createTokenCache({ verifier, keys: keyEvents(), maxEntries: 100, maxAgeMs: 60_000 });
    for (let i = 0; i < 1_000; i += 1) {
      await expect(cache.verify(`bad-${i}`)).rejects.toBeInstanceOf(InvalidTokenError);
    }
    await expect(cache.verify('bad-0')).rejects.toBeInstanceOf(InvalidTokenError);
    expect(cache.size).toBe(0);
    expect(verifier.calls).toHaveLength(1_001);
  });

  it('is bounded, forgetting the least recently used token first', async () => {
    const verifier = scriptedVerifier();
    const cache = createTokenCache({ verifier, keys: keyEvents(), maxEntries: 2, maxAgeMs: 60_000 });
    await cache.verify('a');
    await cache.verify('b');
    await cache.verify('a'); // a is now the most recently used
    await cache.verify('c'); // evicts b
    expect(cache.size).toBe(2);
    verifier.calls.length = 0;
    await cache.verify('a');
    await cache.verify('b');
    expect(verifier.calls).toEqual(['b']);
  });

  it('when full, forgets the least recently used eighth at once, and only those', async () => {
    const verifier = scriptedVerifier();
    const cache = createTokenCache({ verifier, keys: keyEvents(), maxEntries: 16, maxAgeMs: 60_000 });
    const tokens = Array.from({ length: 16 }, (_, i) => `t${i}`);
    for (const token of tokens) await cache.verify(token);
    await cache.verify('t0'); // t0 is now the most recently used
    await cache.verify('new'); // full: t1, t2 and t3 go
    expect(cache.size).toBe(14);
    verifier.calls.length = 0;
    for (const token of [...tokens.slice(4), 't0', 'new']) await cache.verify(token);
    expect(verifier.calls).toEqual([]);
    for (const token of ['t1', 't2', 't3']) await cache.verify(token);
    expect(verifier.calls).toEqual(['t1', 't2', 't3']);
  });

  it('serves a remembered token for at most maxAgeMs', async () => {
    let now = 1_000_000;
    const verifier = scriptedVerifier();
    const cache = createTokenCache({
      verifier,
      keys: keyEvents(),
      maxEntries: 10,
      maxAgeMs: 60_000,
      now: () => now,
    });
    vi.useFakeTimers({ toFake: ['Date'], now });
    await cache.verify('a');
    now += 59_999;
    await cache.verify('a');
    expect(verifier.calls).toEqual(['a']);
    now += 1;
    await cache.verify('a');
    expect(verifier.calls).toEqual(['a', 'a']);
  });

  it("forgets the tokens of a removed key, and every token without kid, but not the others'", async () => {
    const verifier = scriptedVerifier();
    const keys = keyEvents();
    const cache = createTokenCache({ verifier, keys, maxEntries: 10, maxAgeMs: 60_000 });
    await cache.verify('a'); // kid k1
    await cache.verify('nokid');
    verifier.verify = (token) => Promise.resolve(resultFor(token, 'k2'));
    await cache.verify('b'); // kid k2
    keys.remove('k1');
    expect(cache.size).toBe(1);
  });

  it('does not remember a verification that was running when a key was removed', async () => {
    const verifier = scriptedVerifier();
    const keys = keyEvents();
    const cache = createTokenCache({ verifier, keys, maxEntries: 10, maxAgeMs: 60_000 });
    verifier.hold = true;
    const running = cache.verify('a');
    keys.remove('k1');
    verifier.release();
    await running;
    expect(cache.size).toBe(0);
  });

  it('serves nothing while the key set is not fresh: the wrapped verifier decides', async () => {
    const verifier = scriptedVerifier();
    const keys = keyEvents();
    const cache = createTokenCache({ verifier, keys, maxEntries: 10, maxAgeMs: 60_000 });
    await cache.verify('a');
    keys.fresh = false;
    expect(cache.recall?.('a')).toBeUndefined();
    await cache.verify('a');
    expect(verifier.calls).toEqual(['a', 'a']);
    keys.fresh = true;
    await cache.verify('a');
    expect(verifier.calls).toEqual(['a', 'a']);
  });

  it('hands out a frozen result, so that no request can change what the next one sees', async () => {
    const cache = createTokenCache({
      verifier: scriptedVerifier(),
      keys: keyEvents(),
      maxEntries: 10,
      maxAgeMs: 60_000,
    });
    const result = await cache.verify('a');
    expect(Object.isFrozen(result.claims)).toBe(true);
    expect(() => {
      (result.claims as Record<string, unknown>).sub = 'admin';
    }).toThrow(TypeError);
  });
  it("shares scopes that cannot be changed: adding one to a request's result grants nothing to the next", async () => {
    const cache = createTokenCache({
      verifier: scriptedVerifier(),
      keys: keyEvents(),
      maxEntries: 10,
      maxAgeMs: 60_000,
    });
    await cache.verify('a');
    const first = await cache.verify('a'); // remembered: the shared result
    const scopes = first.scopes as Set<string>;
    expect(() => scopes.add('admin:all')).toThrow(TypeError);
    expect(() => Set.prototype.add.call(scopes, 'admin:all')).toThrow(TypeError);
    expect(() => scopes.delete('read:messages')).toThrow(TypeError);
    const next = await cache.verify('a');
    expect(next.scopes.has('admin:all')).toBe(false);
    expect([...next.scopes]).toEqual(['read:messages']);
  });
});

describe('createIssuerKeys tells when keys leave the set', () => {
  it('is fresh only once the JWKS has been fetched, and until cacheMaxAgeMs has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const keys = createIssuerKeys({
      issuer: issuer.url,
      fetchTimeoutMs: 5_000,
      cooldownMs: 0,
      cacheMaxAgeMs: 1_000,
      retryAfterSeconds: 5,
    });
    expect(keys.isFresh()).toBe(false);
    await keys({ alg: 'RS256', kid: issuer.currentKey.kid }, { payload: '', signature: '' });
    expect(keys.isFresh()).toBe(true);
    vi.setSystemTime(Date.now() + 1_000);
    expect(keys.isFresh()).toBe(false);
  });

  it('reports the removed kid after a refetch, and nothing when a key is only added', async () => {
    const keys = createIssuerKeys({
      issuer: issuer.url,
      fetchTimeoutMs: 5_000,
      cooldownMs: 0,
      cacheMaxAgeMs: 0,
      retryAfterSeconds: 5,
    });
    const reports: string[][] = [];
    keys.onKeysRemoved((kids) => reports.push([...kids]));
    const first = issuer.currentKey;
    await keys({ alg: 'RS256', kid: first.kid }, { payload: '', signature: '' });
    await issuer.addKey();
    await keys({ alg: 'RS256', kid: first.kid }, { payload: '', signature: '' });
    expect(reports).toEqual([]);
    issuer.removeKey(first.kid);
    await expect(keys({ alg: 'RS256', kid: first.kid }, { payload: '', signature: '' })).rejects.toThrow();
    expect(reports).toEqual([[first.kid]]);
  });
});
