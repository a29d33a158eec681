// The issuer's keys: discovery, the JWKS cache and its refetch on an unknown kid, rotation,
// and what happens when the issuer cannot be reached (503, never a 500 and never a pass).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIssuer, refusingUrl } from '@electron-oidc/test-support';
import { startTestApi, TOKEN_CACHE_MODES } from '../support/api.ts';
import type { TestApi } from '../support/api.ts';
import { bearer } from '../support/http.ts';

let issuer: FakeIssuer;
beforeEach(async () => {
  issuer = await FakeIssuer.start();
});
afterEach(() => issuer.close());

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

    it('recovers once the JWKS endpoint answers again', async () => {
      issuer.mode.jwks = 'error';
      const api = await startTestApi(issuer, { tokenCache });
      const token = await issuer.sign();
      await expectUnavailable(api, token);
      issuer.mode.jwks = 'ok';
      await expectStatus(api, token, 200);
    });
  });

  describe('503 when discovery fails', () => {
    it('the provider is down when the API starts, and the API starts anyway', async () => {
      await issuer.stop();
      const api = await startTestApi(issuer, { tokenCache });
      expect((await api.get('/healthz')).status).toBe(200);
      const token = await issuer.sign();
      await expectUnavailable(api, token);
      expect(api.logs.at(-1)?.reason).toMatch(
        /discovery document .* cannot be fetched: fetch failed: connect ECONNREFUSED/,
      );

      await issuer.restart();
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
});
