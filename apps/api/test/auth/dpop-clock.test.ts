// How recent a DPoP proof must be (RFC 9449 §4.3 step 11, §9, §11.1), from the client's and the
// attacker's side: without a nonce, its iat within 60 s of the API's clock; further off, the
// API hands out a nonce (use_dpop_nonce), and a proof carrying it is taken with an iat as far
// off as a nonce lives, exactly once. Each case runs with the token cache off and on.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIssuer } from '@electron-oidc/test-support';
import type { ApiConfig } from '../../src/index.ts';
import { startTestApi, TOKEN_CACHE_MODES } from '../support/api.ts';
import type { TestApi } from '../support/api.ts';
import { createDpopClient, dpopChallenge, dpopHeaders } from '../support/dpop.ts';
import type { DpopClient } from '../support/dpop.ts';
import { expectDpopRefusal } from '../support/dpop-api.ts';
import type { TestResponse } from '../support/http.ts';

const NONCE_LIFETIME = 300;
const SKEWS = [
  ['2 minutes ahead of', 120],
  ['2 minutes behind', -120],
] as const;
const FAR_OFF =
  "The DPoP proof's iat is too far from this server's clock; make a new proof that carries the nonce given in the DPoP-Nonce header.";
const NO_NONCE = 'The DPoP proof must carry the nonce given in the DPoP-Nonce header.';
const BAD_NONCE =
  'The DPoP proof carries a nonce that is not (or no longer) valid; use the one in the DPoP-Nonce header.';
const REPLAYED = 'The DPoP proof was used before (same jti); make a new proof for every request.';

function expectUseNonce(res: TestResponse, description: string): string {
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toBe(dpopChallenge('use_dpop_nonce', description));
  expect(res.body).toEqual({ error: 'use_dpop_nonce', error_description: description });
  expect(res.headers['dpop-nonce']).toMatch(/^[\x21\x23-\x5B\x5D-\x7E]+$/);
  return res.headers['dpop-nonce'] as string;
}

/** An API on a clock the test moves, set 1 s into a nonce slot so that nonce lifetimes are exact. */
function useClockedApi(config: () => Partial<ApiConfig>) {
  const t = {} as { issuer: FakeIssuer; api: TestApi; client: DpopClient; token: string; clock: number };
  beforeEach(async () => {
    t.clock = (Math.floor(Date.now() / 1000 / NONCE_LIFETIME) * NONCE_LIFETIME + 1) * 1000;
    t.issuer = await FakeIssuer.start();
    t.api = await startTestApi(
      t.issuer,
      { dpopNonceLifetimeSeconds: NONCE_LIFETIME, ...config() },
      { now: () => t.clock },
    );
    t.client = await createDpopClient();
    t.token = await t.issuer.sign({ claims: { cnf: { jkt: t.client.jkt } } });
  });
  afterEach(() => t.issuer.close());
  /** A proof made on a clock `skew` seconds off the API's, with `nonce` if given. */
  const proof = (skew: number, nonce?: string) =>
    t.client.proof({
      url: `${t.api.url}/private`,
      accessToken: t.token,
      nonce,
      iat: Math.floor(t.clock / 1000) + skew,
    });
  const send = (dpop: string) => t.api.get('/private', { headers: dpopHeaders(t.token, dpop) });
  return { t, proof, send };
}

describe.each(TOKEN_CACHE_MODES)('DPOP_NONCE=off (nonces on demand), TOKEN_CACHE=%s', (tokenCache) => {
  const { t, proof, send } = useClockedApi(() => ({ tokenCache, dpopNonce: 'off' }));

  it('takes a proof without a nonce whose iat is within 60 s, and hands out no nonce', async () => {
    for (const skew of [-60, -30, 0, 30, 60]) {
      const res = await send(await proof(skew));
      expect(res.status).toBe(200);
      expect(res.headers['dpop-nonce']).toBeUndefined();
    }
  });

  it.each(SKEWS)(
    'answers a proof from a clock %s the API use_dpop_nonce, takes the retry carrying the nonce, and only once',
    async (_label, skew) => {
      const nonce = expectUseNonce(await send(await proof(skew)), FAR_OFF);
      const retry = await proof(skew, nonce);
      expect((await send(retry)).status).toBe(200);
      await expectDpopRefusal(await send(retry), 'invalid_dpop_proof', REPLAYED);
      // Still refused 7.5 minutes later, when the proof's iat and nonce would both still be
      // taken: the cache keeps a proof as long as it could be taken, not for 60 s after its iat.
      t.clock += 450 * 1000;
      await expectDpopRefusal(await send(retry), 'invalid_dpop_proof', REPLAYED);
    },
  );

  it('refuses a forged nonce, and one from another API, with a fresh nonce', async () => {
    const nonce = expectUseNonce(await send(await proof(120)), FAR_OFF);
    const forged = `${nonce.slice(0, -4)}AAAA`;
    expect(expectUseNonce(await send(await proof(120, forged)), BAD_NONCE)).toBe(nonce);
    expectUseNonce(await send(await proof(0, 'made-up')), BAD_NONCE);
  });

  it('refuses a nonce once it has expired (two slots), however recent the iat', async () => {
    const nonce = expectUseNonce(await send(await proof(120)), FAR_OFF);
    t.clock += 2 * NONCE_LIFETIME * 1000;
    expectUseNonce(await send(await proof(0, nonce)), BAD_NONCE);
  });

  it('refuses a proof with a valid nonce whose iat is further off than a nonce lives', async () => {
    const nonce = expectUseNonce(await send(await proof(-601)), FAR_OFF);
    const description = `The DPoP proof's iat is more than 600 seconds off this server's clock, even with a nonce; check the clock.`;
    for (const skew of [-601, 601]) {
      await expectDpopRefusal(await send(await proof(skew, nonce)), 'invalid_dpop_proof', description);
    }
    expect((await send(await proof(600, nonce))).status).toBe(200);
  });
});

describe.each(TOKEN_CACHE_MODES)('DPOP_NONCE=on, TOKEN_CACHE=%s', (tokenCache) => {
  const { proof, send } = useClockedApi(() => ({ tokenCache, dpopNonce: 'on' }));

  it('demands a nonce even of a recent proof, then takes one from a clock 2 minutes off, once', async () => {
    const nonce = expectUseNonce(await send(await proof(0)), NO_NONCE);
    const retry = await proof(-120, nonce);
    const res = await send(retry);
    expect(res.status).toBe(200);
    expect(res.headers['dpop-nonce']).toBe(nonce);
    await expectDpopRefusal(await send(retry), 'invalid_dpop_proof', REPLAYED);
  });
});
