// The issuer's keys: discovery, the JWKS cache and its refetch on an unknown kid, rotation,
// and what happens when the issuer cannot be reached (503, never a 500 and never a pass).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeIssuer, refusingUrl } from '@electron-oidc/test-support';
import { startTestApi, TOKEN_CACHE_MODES } from '../support/api.ts';
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

/** Moves the clock (jose's and the API's `Date.now`) past the 503's `Retry-After`. */
function waitOutRetryAfter(seconds = 5): void {
  vi.setSystemTime(Date.now() + seconds * 1000);
}

describe.each(TOKEN_CACHE_MODES)('TOKEN_CACHE=%s', (tokenCache) => {
  async function expectStatus(api: TestApi, token: string, status: number): Promise<void> {
    const res = await api.get('/private', { headers: bearer(token) });
    expect(res.status).toBe(status);
  }

  async function expectUnavailable(api: TestApi, token: string): Promise<void> {
    const res = await api.get('/private', { headers: bearer(token) });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: "The token issuer's signing keys cannot be fetched right now; try again later.",
    });
    expect(api.logs.at(-1)).toMatchObject({ level: 'error', status: 503, error: 'temporarily_unavailable' });
  }

  describe('the JWKS cache', () => {
    it('fetches discovery and the JWKS once, then reuses them', async () => {
      const api = await startTestApi(issuer, { tokenCache });
      await expectStatus(api, await issuer.sign(), 200);
      await expectStatus(api, await issuer.sign(), 200);
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 });
    });

    it('fetches nothing before a token needs checking (lazy discovery)', async () => {
      const api = await startTestApi(issuer, { tokenCache });
      await api.get('/public');
      await api.get('/private');
      expect(issuer.requests).toEqual({ discovery: 0, jwks: 0 });
    });

    it('does not refetch the JWKS for an unknown kid during the cooldown', async () => {
      const api = await startTestApi(issuer, { tokenCache }); // default cooldown: 30 s
      await expectStatus(api, await issuer.sign(), 200);
      await expectStatus(api, await issuer.sign({ header: { kid: 'forged-1' } }), 401);
      await expectStatus(api, await issuer.sign({ header: { kid: 'forged-2' } }), 401);
      expect(issuer.requests.jwks).toBe(1);
    });

    it('picks up a key added to the JWKS later, by refetching on its unknown kid', async () => {
      const api = await startTestApi(issuer, { tokenCache, jwksCooldownMs: 0 });
      await expectStatus(api, await issuer.sign(), 200);
      await issuer.addKey({ sign: true }); // rotation: the new key signs from now on
      await expectStatus(api, await issuer.sign(), 200);
      expect(issuer.requests.jwks).toBe(2);
    });

    it('refuses tokens of a key removed from the JWKS once the cache is refreshed', async () => {
      const api = await startTestApi(issuer, { tokenCache, jwksCacheMaxAgeMs: 0, jwksCooldownMs: 0 });
      const oldKeyToken = await issuer.sign();
      await expectStatus(api, oldKeyToken, 200);
      const oldKey = issuer.currentKey;
      await issuer.addKey({ sign: true });
      issuer.removeKey(oldKey.kid);
      await expectStatus(api, oldKeyToken, 401);
      await expectStatus(api, await issuer.sign(), 200);
    });

    it('keeps accepting tokens of cached keys while the JWKS endpoint is down', async () => {
      const api = await startTestApi(issuer, { tokenCache });
      await expectStatus(api, await issuer.sign(), 200);
      await issuer.stop();
      await expectStatus(api, await issuer.sign(), 200);
    });
  });

  describe('503 when the JWKS cannot be fetched at first use', () => {
    for (const mode of ['error', 'reset', 'hang'] as const) {
      it(`the JWKS endpoint fails (${mode})`, async () => {
        issuer.mode.jwks = mode;
        const api = await startTestApi(issuer, { tokenCache, fetchTimeoutMs: 300 });
        await expectUnavailable(api, await issuer.sign());
      });
    }

    it('the JWKS endpoint refuses connections', async () => {
      issuer.discoveryOverrides = { jwks_uri: `${await refusingUrl()}/jwks` };
      const api = await startTestApi(issuer, { tokenCache });
      await expectUnavailable(api, await issuer.sign());
    });

    it('the JWKS is not a key set', async () => {
      issuer.discoveryOverrides = { jwks_uri: `${issuer.url}/.well-known/openid-configuration` };
      const api = await startTestApi(issuer, { tokenCache });
      await expectUnavailable(api, await issuer.sign());
    });

    it('recovers once the JWKS endpoint answers again and Retry-After has passed', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      issuer.mode.jwks = 'error';
      const api = await startTestApi(issuer, { tokenCache });
      const token = await issuer.sign();
      await expectUnavailable(api, token);
      issuer.mode.jwks = 'ok';
      waitOutRetryAfter();
      await expectStatus(api, token, 200);
    });
  });

  describe('503 when discovery fails', () => {
    it('the provider is down when the API starts, and the API starts anyway', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      await issuer.stop();
      const api = await startTestApi(issuer, { tokenCache });
      expect((await api.get('/healthz')).status).toBe(200);
      const token = await issuer.sign();
      await expectUnavailable(api, token);
      expect(api.logs.at(-1)?.reason).toMatch(
        /discovery document .* cannot be fetched: fetch failed: connect ECONNREFUSED/,
      );

      await issuer.restart();
      waitOutRetryAfter();
      await expectStatus(api, token, 200);
    });

    for (const mode of ['error', 'reset', 'hang'] as const) {
      it(`the discovery endpoint fails (${mode})`, async () => {
        issuer.mode.discovery = mode;
        const api = await startTestApi(issuer, { tokenCache, fetchTimeoutMs: 300 });
        await expectUnavailable(api, await issuer.sign());
      });
    }

    it('an issuer with a trailing slash (as Auth0 names them) is found and compared exactly', async () => {
      const slashed = `${issuer.url}/`;
      issuer.discoveryOverrides = { issuer: slashed };
      const api = await startTestApi(issuer, { tokenCache, issuer: slashed });
      await expectStatus(api, await issuer.sign({ claims: { iss: slashed } }), 200);
      await expectStatus(api, await issuer.sign({ claims: { iss: issuer.url } }), 401);
    });

    it('the discovery document names another issuer (OpenID Connect Discovery §4.3)', async () => {
      issuer.discoveryOverrides = { issuer: `${issuer.url}/` };
      const api = await startTestApi(issuer, { tokenCache });
      await expectUnavailable(api, await issuer.sign());
      expect(api.logs.at(-1)?.reason).toContain('set ISSUER_URL to exactly');
      expect(issuer.requests.jwks).toBe(0);
    });

    it('the discovery document points to a plain-http JWKS off loopback', async () => {
      issuer.discoveryOverrides = { jwks_uri: 'http://keys.example.com/jwks' };
      const api = await startTestApi(issuer, { tokenCache });
      await expectUnavailable(api, await issuer.sign());
    });

    it('a request without a token still gets 401, not 503', async () => {
      await issuer.stop();
      const api = await startTestApi(issuer, { tokenCache });
      const res = await api.get('/private');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    });
  });
  // Issue 13, from the attacker's side: 40 forged tokens while the issuer answered errors used
  // to cause 40 discovery (or JWKS) requests. A failure is remembered for its Retry-After.
  describe('an issuer that fails is not asked again before Retry-After', () => {
    /** Valid-looking tokens: the issuer's own kid, forged kids, none at all. */
    async function flood(count: number): Promise<string[]> {
      const tokens: string[] = [];
      for (let i = 0; i < count; i += 1) {
        const header = i % 3 === 0 ? {} : { kid: i % 3 === 1 ? `forged-${i}` : undefined };
        tokens.push(await issuer.sign({ header }));
      }
      return tokens;
    }

    async function expectAllUnavailable(api: TestApi, tokens: string[]): Promise<void> {
      const answers = await Promise.all(
        tokens.map((token) => api.get('/private', { headers: bearer(token) })),
      );
      for (const res of answers) {
        expect(res.status).toBe(503);
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(5);
        expect(res.headers['www-authenticate']).toBeUndefined();
      }
    }

    it('discovery answers 500: one discovery request for 40 tokens, then one again after Retry-After', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      issuer.mode.discovery = 'error';
      const api = await startTestApi(issuer, { tokenCache });
      await expectUnavailable(api, await issuer.sign());
      await expectAllUnavailable(api, await flood(40));
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 0 });

      issuer.mode.discovery = 'ok';
      waitOutRetryAfter();
      const tokens = await flood(6);
      const answers = await Promise.all(
        tokens.map((token) => api.get('/private', { headers: bearer(token) })),
      );
      // Single flight: the first requests after Retry-After share one discovery and one JWKS fetch.
      expect(answers.map((res) => res.status)).toEqual([200, 401, 200, 200, 401, 200]);
      expect(issuer.requests).toEqual({ discovery: 2, jwks: 1 });
    });

    it('the JWKS answers 500: one JWKS request for 40 tokens, and the key set is fetched after Retry-After', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      issuer.mode.jwks = 'error';
      const api = await startTestApi(issuer, { tokenCache });
      await expectUnavailable(api, await issuer.sign());
      await expectAllUnavailable(api, await flood(40));
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 });

      issuer.mode.jwks = 'ok';
      waitOutRetryAfter();
      await expectStatus(api, await issuer.sign(), 200);
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 2 });
    });

    it('the JWKS is not a key set: remembered like an error', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      issuer.discoveryOverrides = { jwks_uri: `${issuer.url}/.well-known/openid-configuration` };
      const api = await startTestApi(issuer, { tokenCache });
      await expectAllUnavailable(api, await flood(20));
      // The first discovery, and the "JWKS" (the discovery document again) once.
      expect(issuer.requests.discovery).toBe(2);
    });

    it('forged kids past the cooldown while the JWKS is down: one refetch, and held keys still verify', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const api = await startTestApi(issuer, { tokenCache, jwksCooldownMs: 0 });
      await expectStatus(api, await issuer.sign(), 200);
      issuer.mode.jwks = 'error';
      const forged = await Promise.all(
        Array.from({ length: 20 }, (_, i) => issuer.sign({ header: { kid: `forged-${i}` } })),
      );
      await expectAllUnavailable(api, forged);
      expect(issuer.requests.jwks).toBe(2);
      // A first-seen token of a key the API already holds needs no request: still checked.
      await expectStatus(api, await issuer.sign(), 200);
      expect(issuer.requests.jwks).toBe(2);
    });
  });
});
