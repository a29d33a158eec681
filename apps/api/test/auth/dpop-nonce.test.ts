// RFC 9449 §8–9 (nonces from the API, DPOP_NONCE=on) and §7.1 (DPOP=required), from the
// client's and the attacker's side.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIssuer } from '@electron-oidc/test-support';
import { startTestApi, TOKEN_CACHE_MODES } from '../support/api.ts';
import type { TestApi } from '../support/api.ts';
import { createDpopClient, DPOP_ALGS, dpopChallenge, dpopHeaders } from '../support/dpop.ts';
import type { DpopClient } from '../support/dpop.ts';
import { useDpopApi } from '../support/dpop-api.ts';
import { bearer } from '../support/http.ts';
import type { TestResponse } from '../support/http.ts';

const NONCE_LIFETIME = 300;

function expectUseNonce(res: TestResponse, description: string): string {
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toBe(dpopChallenge('use_dpop_nonce', description));
  expect(res.body).toEqual({ error: 'use_dpop_nonce', error_description: description });
  const nonce = res.headers['dpop-nonce'];
  expect(nonce).toMatch(/^[\x21\x23-\x5B\x5D-\x7E]+$/);
  return nonce as string;
}

describe.each(TOKEN_CACHE_MODES)('DPOP_NONCE=on, TOKEN_CACHE=%s', (tokenCache) => {
  let issuer: FakeIssuer;
  let api: TestApi;
  let client: DpopClient;
  let token: string;
  let clock = Date.now();
  beforeEach(async () => {
    clock = Date.now();
    issuer = await FakeIssuer.start();
    api = await startTestApi(
      issuer,
      { tokenCache, dpopNonce: 'on', dpopNonceLifetimeSeconds: NONCE_LIFETIME },
      { now: () => clock },
    );
    client = await createDpopClient();
    token = await issuer.sign({ claims: { cnf: { jkt: client.jkt } } });
  });
  afterEach(() => issuer.close());

  const send = async (nonce?: string) => {
    const proof = await client.proof({
      url: `${api.url}/private`,
      accessToken: token,
      nonce,
      iat: Math.floor(clock / 1000),
    });
    return api.get('/private', { headers: dpopHeaders(token, proof) });
  };

  it('answers use_dpop_nonce with a DPoP-Nonce first, then 200 to the retry that carries it', async () => {
    const nonce = expectUseNonce(
      await send(),
      'The DPoP proof must carry the nonce given in the DPoP-Nonce header.',
    );
    const res = await send(nonce);
    expect(res.status).toBe(200);
    expect(res.headers['dpop-nonce']).toBe(nonce);
  });

  it('refuses a forged nonce', async () => {
    const nonce = expectUseNonce(
      await send(),
      'The DPoP proof must carry the nonce given in the DPoP-Nonce header.',
    );
    const forged = `${nonce.slice(0, -4)}AAAA`;
    const description =
      'The DPoP proof carries a nonce that is not (or no longer) valid; use the one in the DPoP-Nonce header.';
    expect(expectUseNonce(await send(forged), description)).toBe(nonce);
    expectUseNonce(await send('made-up'), description);
  });

  it('takes a nonce until the end of the next slot, and refuses it after', async () => {
    const nonce = expectUseNonce(
      await send(),
      'The DPoP proof must carry the nonce given in the DPoP-Nonce header.',
    );
    clock += NONCE_LIFETIME * 1000;
    expect((await send(nonce)).status).toBe(200);
    clock += NONCE_LIFETIME * 1000;
    const description =
      'The DPoP proof carries a nonce that is not (or no longer) valid; use the one in the DPoP-Nonce header.';
    const fresh = expectUseNonce(await send(nonce), description);
    expect(fresh).not.toBe(nonce);
    expect((await send(fresh)).status).toBe(200);
  });

  it('leaves Bearer requests alone: no nonce for a token without cnf', async () => {
    const res = await api.get('/private', { headers: bearer(await issuer.sign()) });
    expect(res.status).toBe(200);
    expect(res.headers['dpop-nonce']).toBeUndefined();
  });
});

describe('DPOP=required', () => {
  const t = useDpopApi(() => ({ dpop: 'required', tokenCache: 'off' }));
  const description =
    'This resource needs a DPoP-bound access token: send Authorization: DPoP with a DPoP proof (RFC 9449).';

  it('refuses a Bearer token, even a valid one without cnf, with a DPoP challenge', async () => {
    const res = await t.api.get('/private', { headers: bearer(await t.issuer.sign()) });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`DPoP realm="api", algs="${DPOP_ALGS}"`);
    expect(res.body).toEqual({ error: 'unauthorized', error_description: description });
  });

  it('answers a request without credentials with the DPoP challenge', async () => {
    const res = await t.api.get('/private');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`DPoP realm="api", algs="${DPOP_ALGS}"`);
  });

  it('accepts a DPoP-bound token with its proof', async () => {
    expect((await t.send([await t.proof()])).status).toBe(200);
  });
});
