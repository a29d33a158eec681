import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as client from 'openid-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeLogin, launchBrowser } from '@electron-oidc/test-support';
import type { RunningIdp } from '../src/index.ts';
import type { LoopbackTarget } from './support.ts';
import {
  buildAuthorizationRequest,
  discover,
  makeDataDir,
  refusal,
  removeDir,
  startLoopbackTarget,
  startTestIdp,
} from './support.ts';

// RFC 9449 DPoP at the provider: tokens bound to the app's key, and nonces (§8):
// on demand by default (for a proof whose iat is too far off, §11.1), demanded of
// every proof when the IDP_DPOP_NONCE setting (the dpopNonce option) is on.

let browser: Browser;
let target: LoopbackTarget;

beforeAll(async () => {
  target = await startLoopbackTarget();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await target?.close();
});

/** A provider of its own, on its own data folder. */
function providerFixture(options: { dpopNonce?: boolean }): { idp(): RunningIdp; dataDir(): string } {
  let dataDir: string;
  let idp: RunningIdp;
  beforeAll(async () => {
    dataDir = await makeDataDir();
    idp = await startTestIdp(dataDir, options);
  });
  afterAll(async () => {
    await idp?.close();
    await removeDir(dataDir);
  });
  return { idp: () => idp, dataDir: () => dataDir };
}

type ProofKey = Awaited<ReturnType<typeof generateKeyPair>>;

function newProofKey(): Promise<ProofKey> {
  return generateKeyPair('ES256');
}

/**
 * A DPoP proof (RFC 9449 §4.2) for a POST to `htu`, with `nonce` if given, made `skewSeconds`
 * off the true clock (a client whose clock is ahead, or behind when negative).
 */
async function proof(key: ProofKey, htu: string, nonce?: string, skewSeconds = 0): Promise<string> {
  return new SignJWT({ htm: 'POST', htu, jti: randomUUID(), ...(nonce === undefined ? {} : { nonce }) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey) })
    .setIssuedAt(Math.floor(Date.now() / 1000) + skewSeconds)
    .sign(key.privateKey);
}

interface TokenAnswer {
  status: number;
  error: string | undefined;
  nonce: string | null;
}

/** What the token endpoint said; reads a copy of the body, so the caller can still read it. */
async function tokenAnswerOf(response: Response): Promise<TokenAnswer> {
  const body = (await response.clone().json()) as { error?: string };
  return { status: response.status, error: body.error, nonce: response.headers.get('dpop-nonce') };
}

/** A token request for a code that does not exist: the proof is checked first (the nonce too). */
async function redeemMadeUpCode(idp: RunningIdp, dpop: string): Promise<TokenAnswer> {
  const response = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', DPoP: dpop },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: idp.clientId,
      code: 'made-up',
      redirect_uri: 'http://127.0.0.1:5000/callback',
      code_verifier: client.randomPKCECodeVerifier(),
    }),
  });
  return tokenAnswerOf(response);
}

interface DPoPSignIn {
  tokens: client.TokenEndpointResponse;
  /** Every answer of the token endpoint, first try included. */
  tokenAnswers: TokenAnswer[];
  config: client.Configuration;
  handle: client.DPoPHandle;
  keyPair: client.CryptoKeyPair;
}

/** The app's sign-in with openid-client's DPoP handle, recording what the token endpoint answers. */
async function signInWithDPoP(idp: RunningIdp): Promise<DPoPSignIn> {
  const config = await discover(idp);
  const tokenAnswers: TokenAnswer[] = [];
  config[client.customFetch] = async (url, options) => {
    const response = await fetch(url, options as RequestInit);
    if (new URL(url).pathname === '/token') tokenAnswers.push(await tokenAnswerOf(response));
    return response;
  };
  const keyPair = await client.randomDPoPKeyPair('ES256');
  const handle = client.getDPoPHandle(config, keyPair);
  const request = await buildAuthorizationRequest(config, `${target.origin}/callback`);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(request.url.href);
    await completeLogin(page, { username: 'alice', password: 'wonderland' });
    await page.waitForURL((url) => url.origin === target.origin);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), request, undefined, {
      DPoP: handle,
    });
    return { tokens, tokenAnswers, config, handle, keyPair };
  } finally {
    await context.close();
  }
}

describe('DPoP with nonces on demand (the default)', () => {
  const fixture = providerFixture({});

  it('advertises DPoP and pushed authorization requests in discovery', async () => {
    const metadata = (await discover(fixture.idp())).serverMetadata();
    expect(metadata.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256']));
    expect(metadata.pushed_authorization_request_endpoint).toBe(`${fixture.idp().issuer}/request`);
    expect(metadata.require_pushed_authorization_requests).not.toBe(true);
  });

  it('takes a recent proof without a nonce, offering a nonce for the next one', async () => {
    const idp = fixture.idp();
    const answer = await redeemMadeUpCode(idp, await proof(await newProofKey(), `${idp.issuer}/token`));
    expect(answer).toEqual({ status: 400, error: 'invalid_grant', nonce: expect.any(String) });
  });

  // oidc-provider takes an iat up to 5 minutes off; past that, a nonce stands in for the
  // client's clock (RFC 9449 §11.1). Without a nonce secret this was invalid_dpop_proof.
  it.each([
    ['ahead', 6 * 60],
    ['behind', -6 * 60],
  ])(
    'answers a proof from a clock 6 minutes %s with use_dpop_nonce, and takes the retry that carries the nonce',
    async (_label, skewSeconds) => {
      const idp = fixture.idp();
      const key = await newProofKey();
      const first = await redeemMadeUpCode(
        idp,
        await proof(key, `${idp.issuer}/token`, undefined, skewSeconds),
      );
      expect(first).toEqual({ status: 400, error: 'use_dpop_nonce', nonce: expect.any(String) });
      const retry = await redeemMadeUpCode(
        idp,
        await proof(key, `${idp.issuer}/token`, first.nonce!, skewSeconds),
      );
      expect(retry.error).toBe('invalid_grant');
    },
  );

  it('refuses a nonce it did not hand out, even from a recent proof', async () => {
    const idp = fixture.idp();
    const answer = await redeemMadeUpCode(
      idp,
      await proof(await newProofKey(), `${idp.issuer}/token`, 'made-up'),
    );
    expect(answer).toMatchObject({ status: 400, error: 'use_dpop_nonce' });
  });

  it('binds the access token and the refresh token to the app key on the first try', async () => {
    const { tokens, tokenAnswers, config, handle, keyPair } = await signInWithDPoP(fixture.idp());
    expect(tokenAnswers.map((answer) => answer.status)).toEqual([200]);
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const thumbprint = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    expect(decodeJwt(tokens.access_token)['cnf']).toEqual({ jkt: thumbprint });
    // RFC 9449 §5: a public client's refresh token works only with the same key.
    expect(await refusal(client.refreshTokenGrant(config, tokens.refresh_token!))).toBe('invalid_grant');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, {
      DPoP: handle,
    });
    expect(decodeJwt(refreshed.access_token)['cnf']).toEqual({ jkt: thumbprint });
  });
});

describe('DPoP with nonces on (IDP_DPOP_NONCE=on, RFC 9449 §8)', () => {
  const fixture = providerFixture({ dpopNonce: true });

  it('answers a proof without a nonce with use_dpop_nonce and a DPoP-Nonce header', async () => {
    const idp = fixture.idp();
    const answer = await redeemMadeUpCode(idp, await proof(await newProofKey(), `${idp.issuer}/token`));
    expect(answer).toEqual({ status: 400, error: 'use_dpop_nonce', nonce: expect.any(String) });
  });

  it('takes a proof with the nonce it handed out', async () => {
    const idp = fixture.idp();
    const key = await newProofKey();
    const { nonce } = await redeemMadeUpCode(idp, await proof(key, `${idp.issuer}/token`));
    const answer = await redeemMadeUpCode(idp, await proof(key, `${idp.issuer}/token`, nonce!));
    expect(answer.error).toBe('invalid_grant');
  });

  it('refuses a nonce it did not hand out', async () => {
    const idp = fixture.idp();
    const answer = await redeemMadeUpCode(
      idp,
      await proof(await newProofKey(), `${idp.issuer}/token`, 'made-up'),
    );
    expect(answer).toMatchObject({ status: 400, error: 'use_dpop_nonce' });
  });

  it("signs in with openid-client's DPoP handle after one retry with the nonce", async () => {
    const { tokens, tokenAnswers } = await signInWithDPoP(fixture.idp());
    expect(tokenAnswers).toHaveLength(2);
    expect(tokenAnswers).toMatchObject([
      { status: 400, error: 'use_dpop_nonce', nonce: expect.any(String) },
      { status: 200, error: undefined },
    ]);
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
  });

  it('still takes its nonces after a restart on the same data folder (the secret is kept in keys.json)', async () => {
    const before = fixture.idp();
    const key = await newProofKey();
    const { nonce } = await redeemMadeUpCode(before, await proof(key, `${before.issuer}/token`));
    await before.close();
    const after = await startTestIdp(fixture.dataDir(), { port: before.port, dpopNonce: true });
    try {
      const answer = await redeemMadeUpCode(after, await proof(key, `${after.issuer}/token`, nonce!));
      expect(answer.error).toBe('invalid_grant');
    } finally {
      await after.close();
    }
  });
});
