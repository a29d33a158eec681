// The signature check alone, side by side in this one process, on the same distinct RS256
// tokens: the floor (node:crypto `crypto.verify` of the signing input with the issuer's key as
// a `KeyObject`, synchronous: the RSA operation and nothing else), jose's `jwtVerify` (WebCrypto,
// keys from jose's remote JWKS), and the API's verifier (`createAccessTokenVerifier`: the API's
// issuer keys and header policy, the signature by its node:crypto fast path, jose's
// `UnsecuredJWT.decode` for the claims, then the ID-token claim check and the scopes).
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, UnsecuredJWT } from 'jose';
import {
  ACCEPTED_ALGORITHMS,
  createAccessTokenVerifier,
  createIssuerKeys,
  createTokenCache,
} from '@electron-oidc/api';
import { BENCH_AUDIENCE, startBenchIssuer } from './issuer.ts';

export interface SignatureCheckPlan {
  rounds: number;
  /** Distinct tokens each verifier checks per round. */
  tokensPerRound: number;
  /** Checks in flight at once, as with concurrent requests. */
  concurrency: number;
}

/** CPU µs (user + system, this process, its thread pool included) per token, per round. */
export interface SignatureCheckResults {
  floor: number[];
  jose: number[];
  api: number[];
  /**
   * One token at a time, as a first-seen request meets an idle server (and as auth-check.ts
   * measures the middleware): the same three, the API's verifier behind its token cache, and
   * the estimate the fast path was built on (the floor, then jose's own claim checks through
   * `UnsecuredJWT.decode`; no header policy, key lookup or ID-token check).
   */
  oneAtATime: Record<'floor' | 'jose' | 'api' | 'cached' | 'fastPathEstimate', number[]>;
}

export async function measureSignatureCheck(
  plan: SignatureCheckPlan,
  log: (line: string) => void,
): Promise<SignatureCheckResults> {
  const issuer = await startBenchIssuer();
  try {
    const options = {
      algorithms: [...ACCEPTED_ALGORITHMS],
      issuer: issuer.url,
      audience: BENCH_AUDIENCE,
      clockTolerance: 30,
      typ: 'at+jwt',
      requiredClaims: ['exp', 'iat', 'sub'],
    };
    const remote = createRemoteJWKSet(new URL(issuer.jwksUri));
    const keys = createIssuerKeys({
      issuer: issuer.url,
      fetchTimeoutMs: 5_000,
      cooldownMs: 30_000,
      cacheMaxAgeMs: 600_000,
      retryAfterSeconds: 5,
    });
    const api = createAccessTokenVerifier({
      issuer: issuer.url,
      audience: BENCH_AUDIENCE,
      accessTokenType: 'at+jwt',
      clockToleranceSeconds: 30,
      keys,
    });
    const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: JsonWebKey[] };
    const publicKey = createPublicKey({ key: jwks.keys[0]!, format: 'jwk' });
    const floor = async (token: string) => {
      const dot = token.lastIndexOf('.');
      const signature = Buffer.from(token.slice(dot + 1), 'base64url');
      if (!verifySignature('sha256', Buffer.from(token.slice(0, dot)), publicKey, signature)) {
        throw new Error('the floor refused a valid token');
      }
    };
    const verifiers: Record<'floor' | 'jose' | 'api', (token: string) => Promise<unknown>> = {
      floor,
      jose: (token) => jwtVerify(token, remote, options),
      api: (token) => api.verify(token),
    };
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
    // A fresh cache per pass: every token is first-seen.
    let cache = createTokenCache({ verifier: api, keys, maxEntries: 10_000, maxAgeMs: 60_000 });
    const serial: Record<keyof SignatureCheckResults['oneAtATime'], (token: string) => Promise<unknown>> = {
      ...verifiers,
      cached: (token) => cache.verify(token),
      fastPathEstimate: async (token) => {
        await floor(token);
        UnsecuredJWT.decode(`${noneHeader}.${token.split('.')[1]}.`, options);
      },
    };
    const tokens = Array.from({ length: plan.tokensPerRound }, () => issuer.sign());
    const cpuPerToken = async (
      verify: (token: string) => Promise<unknown>,
      concurrency = plan.concurrency,
    ): Promise<number> => {
      cache = createTokenCache({ verifier: api, keys, maxEntries: 10_000, maxAgeMs: 60_000 });
      const before = process.cpuUsage();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < tokens.length) {
            const token = tokens[next]!;
            next += 1;
            await verify(token);
          }
        }),
      );
      const used = process.cpuUsage(before);
      return (used.user + used.system) / tokens.length;
    };
    // Warm-up (JIT, the JWKS fetch, the key import), not recorded.
    for (const verify of Object.values(serial)) await cpuPerToken(verify);
    const oneAtATime: SignatureCheckResults['oneAtATime'] = {
      floor: [],
      jose: [],
      api: [],
      cached: [],
      fastPathEstimate: [],
    };
    const results: SignatureCheckResults = { floor: [], jose: [], api: [], oneAtATime };
    const names = Object.keys(verifiers) as (keyof typeof verifiers)[];
    const serialNames = Object.keys(serial) as (keyof typeof serial)[];
    for (let round = 0; round < plan.rounds; round += 1) {
      // Rotate which goes first.
      for (let i = 0; i < names.length; i += 1) {
        const name = names[(i + round) % names.length]!;
        results[name].push(await cpuPerToken(verifiers[name]));
      }
      for (let i = 0; i < serialNames.length; i += 1) {
        const name = serialNames[(i + round) % serialNames.length]!;
        results.oneAtATime[name].push(await cpuPerToken(serial[name], 1));
      }
      log(
        `signature check round ${round + 1}/${plan.rounds}: floor ${results.floor.at(-1)!.toFixed(1)} µs, ` +
          `jose ${results.jose.at(-1)!.toFixed(1)} µs, API verifier ${results.api.at(-1)!.toFixed(1)} µs CPU/token; one at a time: ` +
          serialNames.map((name) => `${name} ${oneAtATime[name].at(-1)!.toFixed(1)} µs`).join(', '),
      );
    }
    return results;
  } finally {
    await issuer.close();
  }
}
