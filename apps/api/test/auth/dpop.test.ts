// RFC 9449 §4.3 and §7.1 from the attacker's side: a DPoP-bound token is only good with a
// fresh proof of its key for this very request. Each case runs with the token cache off and
// on (warm with the bound token): the cache remembers the token, never a proof. How recent a
// proof must be (iat, nonces) is dpop-clock.test.ts's.
import { describe, expect, it } from 'vitest';
import { TOKEN_CACHE_MODES } from '../support/api.ts';
import { createDpopClient } from '../support/dpop.ts';
import { expectDpopRefusal, useDpopApi } from '../support/dpop-api.ts';
import { bearer } from '../support/http.ts';

const PROOF = 'invalid_dpop_proof';

describe.each(TOKEN_CACHE_MODES)('the key binding, TOKEN_CACHE=%s', (tokenCache) => {
  const t = useDpopApi(() => ({ tokenCache }));

  it('accepts a bound token with a valid proof of its key, once per proof', async () => {
    const res = await t.send([await t.proof()]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Only authenticated users can read this message.' });
    expect((await t.send([await t.proof()])).status).toBe(200);
  });

  it('refuses the bound token replayed as a Bearer token (§7.2)', async () => {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const res = await t.api.get('/private', { headers: bearer(t.token) });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="invalid_token", error_description="The access token is bound to a key: ' +
          'send it with Authorization: DPoP and a DPoP proof (RFC 9449, section 7.2)."',
      );
    }
  });

  it("refuses a proof made with another key than the token's", async () => {
    const thief = await createDpopClient();
    const proof = await thief.proof({ url: t.url, accessToken: t.token });
    await expectDpopRefusal(
      await t.send([proof]),
      PROOF,
      'The DPoP proof is signed with another key than the one the access token is bound to.',
    );
  });

  it('refuses a proof replayed with the same jti', async () => {
    const proof = await t.proof();
    expect((await t.send([proof])).status).toBe(200);
    const description = 'The DPoP proof was used before (same jti); make a new proof for every request.';
    await expectDpopRefusal(await t.send([proof]), PROOF, description);
  });

  it('refuses a token without cnf.jkt sent with the DPoP scheme', async () => {
    const unbound = await t.issuer.sign();
    const res = await t.send([await t.proof({ accessToken: unbound })], unbound);
    await expectDpopRefusal(
      res,
      'invalid_token',
      'The access token is not bound to a DPoP key (it has no cnf.jkt claim).',
    );
  });

  it('refuses a request without a proof, and one with two', async () => {
    await expectDpopRefusal(
      await t.send([]),
      PROOF,
      'The request has no DPoP proof; send one in the DPoP header with the access token.',
    );
    const twice = await t.send([await t.proof(), await t.proof()]);
    await expectDpopRefusal(twice, PROOF, 'The request has several DPoP headers; send exactly one proof.');
  });

  it('refuses a proof with a missing or a wrong ath', async () => {
    const missing = await t.proof({ accessToken: undefined });
    await expectDpopRefusal(
      await t.send([missing]),
      PROOF,
      'The DPoP proof has no ath claim (the hash of the access token).',
    );
    const other = await t.issuer.sign({ claims: { cnf: { jkt: t.client.jkt } } });
    const wrong = await t.proof({ accessToken: other });
    await expectDpopRefusal(
      await t.send([wrong]),
      PROOF,
      'The DPoP proof was made for another access token (ath).',
    );
  });
});

describe.each(TOKEN_CACHE_MODES)('the request a proof was made for, TOKEN_CACHE=%s', (tokenCache) => {
  const t = useDpopApi(() => ({ tokenCache }));

  it('refuses a proof for another method', async () => {
    const res = await t.send([await t.proof({ method: 'POST' })]);
    await expectDpopRefusal(res, PROOF, 'The DPoP proof was made for another HTTP method (htm).');
  });

  it('refuses a proof for another URL: path, host, port or scheme', async () => {
    const { port } = new URL(t.api.url);
    const others = [
      `${t.api.url}/public`,
      `http://localhost:${port}/private`,
      `http://127.0.0.1:${Number(port) + 1}/private`,
      `https://127.0.0.1:${port}/private`,
      `${t.api.url}/private/sensitive`,
    ];
    for (const url of others) {
      const res = await t.send([await t.proof({ url })]);
      await expectDpopRefusal(res, PROOF, 'The DPoP proof was made for another URL (htu).');
    }
  });

  it('compares htu without query and fragment, after normalisation', async () => {
    const { port } = new URL(t.api.url);
    const same = [`${t.url}?page=2#top`, `HTTP://127.0.0.1:${port}/private`, `${t.api.url}/x/../private`];
    for (const url of same) expect((await t.send([await t.proof({ url })])).status).toBe(200);
    const res = await t.send([await t.proof()], t.token, '/private?page=2');
    expect(res.status).toBe(200);
  });
});
