// RFC 6750 §3.1 insufficient_scope, and where hosted providers put the scopes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIssuer } from '@electron-oidc/test-support';
import { challenge, startTestApi, TOKEN_CACHE_MODES, warmTokenCache } from '../support/api.ts';
import type { TestApi } from '../support/api.ts';
import { bearer } from '../support/http.ts';

describe.each(TOKEN_CACHE_MODES)('TOKEN_CACHE=%s', (tokenCache) => {
  let issuer: FakeIssuer;
  let api: TestApi;
  beforeEach(async () => {
    issuer = await FakeIssuer.start();
    api = await startTestApi(issuer, { tokenCache });
    if (tokenCache === 'on') await warmTokenCache(api, issuer);
  });
  afterEach(() => issuer.close());

  function insufficientScope(scope: string): string {
    return challenge(
      'insufficient_scope',
      `The access token does not grant the scope this resource needs: ${scope}.`,
      `, scope="${scope}"`,
    );
  }

  async function expectInsufficientScope(
    claims: Record<string, unknown>,
    target = api,
    scope = 'read:messages',
  ) {
    const token = await issuer.sign({ claims });
    // Asked twice: the scope is checked on every request, remembered token or not.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const res = await target.get('/private', { headers: bearer(token) });
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toBe(insufficientScope(scope));
      expect(res.body).toEqual({
        error: 'insufficient_scope',
        error_description: `The access token does not grant the scope this resource needs: ${scope}.`,
      });
    }
  }

  async function expectAccepted(claims: Record<string, unknown>) {
    const res = await api.get('/private', { headers: bearer(await issuer.sign({ claims })) });
    expect(res.status).toBe(200);
  }

  describe('the read:messages scope', () => {
    it('a valid token without the scope gets 403 insufficient_scope naming the scope', async () => {
      await expectInsufficientScope({ scope: 'openid profile' });
    });

    it('a valid token without any scope claim gets 403', async () => {
      await expectInsufficientScope({ scope: undefined });
    });

    it('a scope that merely contains the name does not count', async () => {
      await expectInsufficientScope({ scope: 'read:messages:all xread:messages read' });
    });

    it('a scope claim of the wrong shape (array) grants nothing', async () => {
      await expectInsufficientScope({ scope: ['read:messages'] });
    });

    it('is read from the space-separated scope claim (RFC 9068 §2.2.3)', async () => {
      await expectAccepted({ scope: 'profile  read:messages' });
    });

    it('is read from an scp array (Okta)', async () => {
      await expectAccepted({ scope: undefined, scp: ['openid', 'read:messages'] });
    });

    it('is read from a permissions array (Auth0 RBAC)', async () => {
      await expectAccepted({ scope: 'openid', permissions: ['read:messages'] });
    });

    it('follows REQUIRED_SCOPE', async () => {
      const strict = await startTestApi(issuer, { requiredScope: 'messages.read', tokenCache });
      await expectInsufficientScope({ scope: 'read:messages' }, strict, 'messages.read');
    });
  });
});
