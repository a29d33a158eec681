// RFC 9470 §3: GET /private/sensitive needs a sign-in of STEP_UP_ACR at most STEP_UP_MAX_AGE
// seconds old; a token that falls short gets 401 insufficient_user_authentication saying what
// a new sign-in must request. Run with the token cache off and on: a token remembered from
// /private is still judged by the stricter route, at every request.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIssuer } from '@electron-oidc/test-support';
import { startTestApi, TOKEN_CACHE_MODES } from '../support/api.ts';
import type { TestApi } from '../support/api.ts';
import { createDpopClient, dpopChallenge, dpopHeaders } from '../support/dpop.ts';
import { bearer } from '../support/http.ts';
import type { TestResponse } from '../support/http.ts';

const OTP = 'urn:electron-oidc:acr:otp';
const PASSWORD = 'urn:electron-oidc:acr:password';
const SENSITIVE = { message: 'Only recently verified users can read this sensitive message.' };
const NEEDS_OTP = `This resource needs a sign-in of class ${OTP}; sign in again.`;
const NEEDS_RECENT = 'This resource needs a sign-in made within the last 300 seconds; sign in again.';

function expectStepUp(res: TestResponse, description: string, params: string, scheme = 'Bearer'): void {
  expect(res.status).toBe(401);
  const challenge = `realm="api", error="insufficient_user_authentication", error_description="${description}"${params}`;
  expect(res.headers['www-authenticate']).toBe(
    scheme === 'Bearer'
      ? `Bearer ${challenge}`
      : dpopChallenge('insufficient_user_authentication', description, params),
  );
  expect(res.body).toEqual({ error: 'insufficient_user_authentication', error_description: description });
}

describe.each(TOKEN_CACHE_MODES)('GET /private/sensitive, TOKEN_CACHE=%s', (tokenCache) => {
  let issuer: FakeIssuer;
  let api: TestApi;
  let clock = Date.now();
  beforeEach(async () => {
    clock = Date.now();
    issuer = await FakeIssuer.start();
    api = await startTestApi(issuer, { tokenCache }, { now: () => clock });
  });
  afterEach(() => issuer.close());

  const now = () => Math.floor(clock / 1000);
  const signIn = (acr: string | undefined, authTime: number | undefined) =>
    issuer.sign({ claims: { acr, auth_time: authTime } });
  // Through /private first, so that with the cache on the token is remembered.
  const getSensitive = async (token: string) => {
    expect((await api.get('/private', { headers: bearer(token) })).status).toBe(200);
    return api.get('/private/sensitive', { headers: bearer(token) });
  };

  it('answers a fresh one-time-code sign-in', async () => {
    const res = await getSensitive(await signIn(OTP, now() - 10));
    expect(res.status).toBe(200);
    expect(res.body).toEqual(SENSITIVE);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('asks a password sign-in for the one-time code (acr_values)', async () => {
    const res = await getSensitive(await signIn(PASSWORD, now() - 10));
    expectStepUp(res, NEEDS_OTP, `, acr_values="${OTP}"`);
  });

  it('asks an old sign-in for a recent one (max_age)', async () => {
    expectStepUp(await getSensitive(await signIn(OTP, now() - 301)), NEEDS_RECENT, ', max_age="300"');
    expectStepUp(await getSensitive(await signIn(OTP, undefined)), NEEDS_RECENT, ', max_age="300"');
  });

  it('asks for both when both fall short, and for the acr when the token has none', async () => {
    const both = `This resource needs a sign-in of class ${OTP} and a sign-in made within the last 300 seconds; sign in again.`;
    expectStepUp(
      await getSensitive(await signIn(PASSWORD, now() - 400)),
      both,
      `, acr_values="${OTP}", max_age="300"`,
    );
    expectStepUp(await getSensitive(await signIn(undefined, now())), NEEDS_OTP, `, acr_values="${OTP}"`);
  });

  it('judges the age at every request: the same token is refused once its sign-in is too old', async () => {
    const token = await signIn(OTP, now());
    expect((await getSensitive(token)).status).toBe(200);
    clock += 301_000;
    expectStepUp(
      await api.get('/private/sensitive', { headers: bearer(token) }),
      NEEDS_RECENT,
      ', max_age="300"',
    );
  });

  it('answers in the DPoP scheme for a DPoP request', async () => {
    const client = await createDpopClient();
    const token = await issuer.sign({
      claims: { acr: PASSWORD, auth_time: now(), cnf: { jkt: client.jkt } },
    });
    const url = `${api.url}/private/sensitive`;
    const proof = await client.proof({ url, accessToken: token, iat: now() });
    const res = await api.get('/private/sensitive', { headers: dpopHeaders(token, proof) });
    expectStepUp(res, NEEDS_OTP, `, acr_values="${OTP}"`, 'DPoP');
  });
});

describe('STEP_UP_ACR and STEP_UP_MAX_AGE', () => {
  it('demand the configured acr and age', async () => {
    const issuer = await FakeIssuer.start();
    try {
      const api = await startTestApi(issuer, { stepUpAcr: 'urn:example:mfa', stepUpMaxAgeSeconds: 60 });
      const now = Math.floor(Date.now() / 1000);
      const get = async (claims: Record<string, unknown>) =>
        api.get('/private/sensitive', { headers: bearer(await issuer.sign({ claims })) });
      expect((await get({ acr: 'urn:example:mfa', auth_time: now - 30 })).status).toBe(200);
      const old = await get({ acr: 'urn:example:mfa', auth_time: now - 90 });
      expect(old.headers['www-authenticate']).toMatch(/, max_age="60"$/);
      const other = await get({ acr: OTP, auth_time: now });
      expect(other.headers['www-authenticate']).toMatch(/, acr_values="urn:example:mfa"$/);
    } finally {
      await issuer.close();
    }
  });
});
