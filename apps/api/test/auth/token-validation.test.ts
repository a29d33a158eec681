// RFC 9068 §4 validation of JWT access tokens, attempted from the attacker's side: every
// token here is refused with 401 invalid_token and the exact challenge.
import { exportSPKI } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIssuer, generateIssuerKey, TEST_CLIENT_ID } from '@electron-oidc/test-support';
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

  const now = () => Math.floor(Date.now() / 1000);

  // Asked twice: a refusal must not turn into a pass the second time.
  async function expectInvalidToken(
    token: string,
    description: string,
    target: TestApi = api,
  ): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const res = await target.get('/private', { headers: bearer(token) });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(challenge('invalid_token', description));
      expect(res.body).toEqual({ error: 'invalid_token', error_description: description });
    }
  }

  async function expectAccepted(token: string, target: TestApi = api): Promise<void> {
    const res = await target.get('/private', { headers: bearer(token) });
    expect(res.status).toBe(200);
  }

  describe('lifetime (exp, nbf) with a 30 s clock tolerance', () => {
    it('refuses a token expired beyond the tolerance', async () => {
      const token = await issuer.sign({ claims: { iat: now() - 400, exp: now() - 100 } });
      await expectInvalidToken(token, 'The access token has expired.');
    });

    it('accepts a token expired within the tolerance', async () => {
      await expectAccepted(await issuer.sign({ claims: { iat: now() - 300, exp: now() - 5 } }));
    });

    it('refuses a token not valid yet beyond the tolerance', async () => {
      const token = await issuer.sign({ claims: { nbf: now() + 120 } });
      await expectInvalidToken(token, 'The access token is not valid yet.');
    });

    it('refuses a token without exp, which would never expire', async () => {
      const token = await issuer.sign({ claims: { exp: undefined } });
      await expectInvalidToken(token, "The access token has no 'exp' claim.");
    });

    it('refuses a token whose exp is not a number', async () => {
      const token = await issuer.sign({ claims: { exp: 'tomorrow' } });
      await expectInvalidToken(token, "The access token's 'exp' claim is malformed.");
    });
  });

  describe('addressing (iss, aud)', () => {
    it('refuses a token for another audience', async () => {
      const token = await issuer.sign({ claims: { aud: 'https://other-api.example' } });
      await expectInvalidToken(token, 'The access token is meant for another audience.');
    });

    it('refuses a token from another issuer, even signed with a trusted key', async () => {
      const token = await issuer.sign({ claims: { iss: 'https://evil.example' } });
      await expectInvalidToken(token, 'The access token was issued by another issuer.');
    });

    it("refuses a token signed by another issuer's key", async () => {
      const other = await FakeIssuer.start();
      try {
        await expectInvalidToken(
          await other.sign({ claims: { iss: issuer.url } }),
          "No key of the issuer matches the access token's kid.",
        );
      } finally {
        await other.close();
      }
    });
  });

  describe('token type (RFC 9068 §4: typ at+jwt)', () => {
    it('accepts typ application/at+jwt', async () => {
      await expectAccepted(await issuer.sign({ header: { typ: 'application/at+jwt' } }));
    });

    it('refuses typ JWT when at+jwt is required', async () => {
      const token = await issuer.sign({ header: { typ: 'JWT' } });
      await expectInvalidToken(
        token,
        'The token is not an access token: its typ header must be at+jwt (RFC 9068, section 4).',
      );
    });

    it('refuses a token without typ when at+jwt is required', async () => {
      const token = await issuer.sign({ header: { typ: undefined } });
      await expectInvalidToken(
        token,
        'The token is not an access token: its typ header must be at+jwt (RFC 9068, section 4).',
      );
    });

    it('accepts typ JWT when ACCESS_TOKEN_TYPE opts out (any)', async () => {
      const lenient = await startTestApi(issuer, { accessTokenType: 'any', tokenCache });
      await expectAccepted(await issuer.sign({ header: { typ: 'JWT' } }), lenient);
    });

    it('refuses an ID token sent as the access token', async () => {
      const idToken = await issuer.sign({
        header: { typ: 'JWT' },
        claims: { aud: TEST_CLIENT_ID, nonce: 'n-0S6_WzA2Mj', scope: undefined, client_id: undefined },
      });
      await expectInvalidToken(
        idToken,
        'The token is not an access token: its typ header must be at+jwt (RFC 9068, section 4).',
      );
    });

    it('refuses an ID token sent as the access token even when typ is not checked (aud)', async () => {
      const lenient = await startTestApi(issuer, { accessTokenType: 'any', tokenCache });
      const idToken = await issuer.sign({
        header: { typ: 'JWT' },
        claims: { aud: TEST_CLIENT_ID, nonce: 'n-0S6_WzA2Mj', scope: undefined, client_id: undefined },
      });
      await expectInvalidToken(idToken, 'The access token is meant for another audience.', lenient);
    });
  });

  describe('signature', () => {
    const NOT_ASYMMETRIC = 'The access token is not signed with an accepted asymmetric algorithm.';

    it('refuses alg none', async () => {
      await expectInvalidToken(issuer.unsigned(), NOT_ASYMMETRIC);
    });

    it("refuses HS256 signed with the issuer's public key PEM as the secret (key confusion)", async () => {
      const pem = await exportSPKI(issuer.currentKey.publicKey);
      const token = await issuer.sign({
        header: { alg: 'HS256' },
        signingKey: new TextEncoder().encode(pem),
      });
      await expectInvalidToken(token, NOT_ASYMMETRIC);
    });

    it("refuses HS256 signed with the issuer's public JWK as the secret (key confusion)", async () => {
      const jwkBytes = new TextEncoder().encode(JSON.stringify(issuer.currentKey.publicJwk));
      const token = await issuer.sign({ header: { alg: 'HS256' }, signingKey: jwkBytes });
      await expectInvalidToken(token, NOT_ASYMMETRIC);
    });

    it("refuses a token signed by another key that claims the issuer's kid", async () => {
      const forger = await generateIssuerKey('RS256', issuer.currentKey.kid);
      const token = await issuer.sign({ signingKey: forger.privateKey });
      await expectInvalidToken(token, 'The access token signature is invalid.');
    });

    it('refuses a token whose signature was altered', async () => {
      const [header, payload] = (await issuer.sign()).split('.');
      const other = (await issuer.sign()).split('.')[2];
      await expectInvalidToken(`${header}.${payload}.${other}`, 'The access token signature is invalid.');
    });

    it('refuses a token whose claims were altered after signing', async () => {
      const [header, , signature] = (await issuer.sign()).split('.');
      const forged = Buffer.from(JSON.stringify(issuer.claims({ sub: 'admin' }))).toString('base64url');
      await expectInvalidToken(`${header}.${forged}.${signature}`, 'The access token signature is invalid.');
    });

    it('refuses a token with an unknown kid', async () => {
      const token = await issuer.sign({ header: { kid: 'no-such-key' } });
      await expectInvalidToken(token, "No key of the issuer matches the access token's kid.");
    });

    it('accepts the other asymmetric algorithms the issuer may use (ES256, PS256, EdDSA)', async () => {
      for (const alg of ['ES256', 'PS256', 'EdDSA']) {
        await issuer.addKey({ alg, sign: true });
        const lenient = await startTestApi(issuer, { tokenCache }); // fresh JWKS cache
        await expectAccepted(await issuer.sign(), lenient);
      }
    });
  });

  describe('any token input gets a 4xx answer, never a 500', () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const inputs: [string, () => string][] = [
      ['three empty parts', () => '..'],
      ['two parts', () => 'abc.def'],
      ['header that is not JSON', () => `${Buffer.from('{nope').toString('base64url')}.${b64({})}.c2ln`],
      ['header that is an array', () => `${b64([])}.${b64({})}.c2ln`],
      ['header without alg', () => `${b64({ typ: 'at+jwt' })}.${b64({})}.c2ln`],
      ['alg that is a number', () => `${b64({ alg: 256 })}.${b64({})}.c2ln`],
      ['unknown crit extension', () => `${b64({ alg: 'RS256', crit: ['x'], x: 1 })}.${b64({})}.c2ln`],
      ['kid that is an object', () => `${b64({ alg: 'RS256', kid: { a: 1 } })}.${b64({})}.c2ln`],
      ['a signature of impossible length', () => `${b64({ alg: 'RS256' })}.${b64({})}.x`],
      ['five parts (a JWE shape)', () => 'a.b.c.d.e'],
      ['a very long token', () => 'A'.repeat(8000)],
    ];
    for (const [name, token] of inputs) {
      it(`refuses ${name} with 401 invalid_token`, async () => {
        // Each is valid b64token syntax (else it would be a 400), so it reaches verification.
        for (let attempt = 0; attempt < 2; attempt += 1) {
          const res = await api.get('/private', { headers: bearer(token()) });
          expect(res.status).toBe(401);
          expect(res.headers['www-authenticate']).toMatch(
            /^Bearer realm="api", error="invalid_token", error_description="[^"\\]+"$/,
          );
        }
      });
    }
  });
});
