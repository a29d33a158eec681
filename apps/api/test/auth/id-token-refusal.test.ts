// An ID token is not an access token (OIDC Core §2, RFC 9068 §1), even when its `aud` also
// names the API (Auth0 and others do) and the `typ` check is opted out of: attempted from
// the attacker's side, in both ACCESS_TOKEN_TYPE modes and with the token cache on and off.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIssuer, TEST_AUDIENCE, TEST_CLIENT_ID } from '@electron-oidc/test-support';
import { challenge, startTestApi, TOKEN_CACHE_MODES } from '../support/api.ts';
import type { TestApi } from '../support/api.ts';
import { bearer } from '../support/http.ts';

const ACCESS_TOKEN_TYPES = ['at+jwt', 'any'] as const;

/** The claims of an ID token whose audience is the client and the API; no scope, no client_id. */
const ID_TOKEN_CLAIMS = {
  aud: [TEST_CLIENT_ID, TEST_AUDIENCE],
  azp: TEST_CLIENT_ID,
  scope: undefined,
  client_id: undefined,
  auth_time: Math.floor(Date.now() / 1000),
};

describe.each(TOKEN_CACHE_MODES)('TOKEN_CACHE=%s', (tokenCache) => {
  let issuer: FakeIssuer;
  beforeEach(async () => {
    issuer = await FakeIssuer.start();
  });
  afterEach(() => issuer.close());

  async function expectRefused(api: TestApi, token: string, description: string): Promise<void> {
    // Asked twice: a refusal must not turn into a pass the second time.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const res = await api.get('/private', { headers: bearer(token) });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(challenge('invalid_token', description));
    }
  }

  const idTokenDescription = (claim: string) =>
    `The token is an ID token, not an access token: it carries '${claim}' (OpenID Connect Core, section 2).`;
  const typDescription =
    'The token is not an access token: its typ header must be at+jwt (RFC 9068, section 4).';

  describe.each(ACCESS_TOKEN_TYPES)('ACCESS_TOKEN_TYPE=%s', (accessTokenType) => {
    // With at+jwt the typ check answers first; with any, the ID token's own claims give it away.
    const expected = (claim: string) =>
      accessTokenType === 'at+jwt' ? typDescription : idTokenDescription(claim);

    for (const claim of ['at_hash', 'c_hash', 's_hash'] as const) {
      it(`refuses an ID token carrying ${claim} whose aud also names the API`, async () => {
        const api = await startTestApi(issuer, { accessTokenType, tokenCache });
        const token = await issuer.sign({
          header: { typ: 'JWT' },
          claims: { ...ID_TOKEN_CLAIMS, [claim]: 'x7Yf5dX2kWbq3tRvN0a8Ug' },
        });
        await expectRefused(api, token, expected(claim));
      });
    }

    it('refuses an ID token carrying nonce and no scope claim whose aud also names the API', async () => {
      const api = await startTestApi(issuer, { accessTokenType, tokenCache });
      const token = await issuer.sign({
        header: { typ: 'JWT' },
        claims: { ...ID_TOKEN_CLAIMS, nonce: 'n-0S6_WzA2Mj' },
      });
      await expectRefused(api, token, expected('nonce'));
    });

    it('refuses ID token hashes even in a token that also has a scope claim and at+jwt', async () => {
      const api = await startTestApi(issuer, { accessTokenType, tokenCache });
      const token = await issuer.sign({ claims: { at_hash: 'x7Yf5dX2kWbq3tRvN0a8Ug' } });
      await expectRefused(api, token, idTokenDescription('at_hash'));
    });

    it('accepts an access token with nonce next to its scope (Keycloak before 25 issued these)', async () => {
      const api = await startTestApi(issuer, { accessTokenType, tokenCache });
      const token = await issuer.sign({ claims: { nonce: 'n-0S6_WzA2Mj' } });
      expect((await api.get('/private', { headers: bearer(token) })).status).toBe(200);
    });
  });
});
