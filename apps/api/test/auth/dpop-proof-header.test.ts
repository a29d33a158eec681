// RFC 9449 §4.3 steps 2–7 from the attacker's side: what a proof's header may be. Each case
// runs with the token cache off and on (warm with the bound token).
import { generateSecret } from 'jose';
import { describe, expect, it } from 'vitest';
import { TOKEN_CACHE_MODES } from '../support/api.ts';
import { ath, createDpopClient } from '../support/dpop.ts';
import { expectDpopRefusal, useDpopApi } from '../support/dpop-api.ts';

const PROOF = 'invalid_dpop_proof';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(TOKEN_CACHE_MODES)('the proof header, TOKEN_CACHE=%s', (tokenCache) => {
  const t = useDpopApi(() => ({ tokenCache }));

  it('refuses a symmetric alg (HS256), signed with a secret', async () => {
    const secret = await generateSecret('HS256', { extractable: true });
    const proof = await t.proof({ header: { alg: 'HS256' }, signingKey: secret });
    const description = "The DPoP proof's alg is not one of the asymmetric algorithms in algs.";
    await expectDpopRefusal(await t.send([proof]), PROOF, description);
  });

  it('refuses alg none, unsigned', async () => {
    const claims = {
      jti: 'x',
      htm: 'GET',
      htu: t.url,
      iat: Math.floor(Date.now() / 1000),
      ath: ath(t.token),
    };
    const proof = `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: t.client.publicJwk })}.${b64(claims)}.`;
    const description = "The DPoP proof's alg is not one of the asymmetric algorithms in algs.";
    await expectDpopRefusal(await t.send([proof]), PROOF, description);
  });

  it('refuses a private key in the jwk header, even the right one', async () => {
    const proof = await t.proof({ header: { jwk: t.client.privateJwk } });
    const description = "The DPoP proof's jwk holds a private key member ('d'); send the public key only.";
    await expectDpopRefusal(await t.send([proof]), PROOF, description);
  });

  it('refuses a proof without jwk, and one with a symmetric jwk', async () => {
    const none = await t.proof({ header: { jwk: undefined } });
    await expectDpopRefusal(
      await t.send([none]),
      PROOF,
      'The DPoP proof has no jwk header holding its public key.',
    );
    const oct = await t.proof({ header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } });
    const description = "The DPoP proof's jwk holds a private key member ('k'); send the public key only.";
    await expectDpopRefusal(await t.send([oct]), PROOF, description);
  });

  it('refuses a typ other than dpop+jwt', async () => {
    for (const typ of ['JWT', 'at+jwt', undefined]) {
      const proof = await t.proof({ header: { typ } });
      const description = "The DPoP proof's typ header must be dpop+jwt (RFC 9449, section 4.2).";
      await expectDpopRefusal(await t.send([proof]), PROOF, description);
    }
  });

  it("refuses a signature that the header's jwk does not verify", async () => {
    const other = await createDpopClient();
    // The token's key in the header, another key's signature.
    const proof = await t.proof({ signingKey: other.privateKey });
    await expectDpopRefusal(await t.send([proof]), PROOF, 'The DPoP proof signature is invalid.');
  });

  it('checks the signature and the shape of every proof whose header it has accepted before', async () => {
    // The API remembers accepted headers (createHeaderMemo): the same header again must not
    // stand in for the signature, nor make a token of another shape a JWT.
    const good = await t.proof();
    expect((await t.send([good])).status).toBe(200);
    const [header, payload, signature] = (await t.proof()).split('.');
    const forged = `${header}.${payload}.${signature!.slice(0, -4)}AAAA`;
    await expectDpopRefusal(await t.send([forged]), PROOF, 'The DPoP proof signature is invalid.');
    const unsigned = `${header}.${payload}.`;
    await expectDpopRefusal(await t.send([unsigned]), PROOF, 'The DPoP proof signature is invalid.');
    await expectDpopRefusal(await t.send([`${header}.${payload}`]), PROOF, 'The DPoP proof is not a JWT.');
  });

  it('refuses a proof that is not a JWT, and one without jti', async () => {
    await expectDpopRefusal(await t.send(['not-a-jwt']), PROOF, 'The DPoP proof is not a JWT.');
    const proof = await t.proof({ jti: '', claims: { jti: undefined } });
    await expectDpopRefusal(await t.send([proof]), PROOF, "The DPoP proof has no 'jti' claim.");
  });
});

describe('proofs of other asymmetric algorithms', () => {
  const t = useDpopApi(() => ({ tokenCache: 'off' }));

  it.each(['EdDSA', 'RS256', 'PS256', 'ES384'])('accepts %s with a token bound to its key', async (alg) => {
    const client = await createDpopClient(alg);
    const token = await t.issuer.sign({ claims: { cnf: { jkt: client.jkt } } });
    const proof = await client.proof({ url: t.url, accessToken: token });
    expect((await t.send([proof], token)).status).toBe(200);
  });
});
