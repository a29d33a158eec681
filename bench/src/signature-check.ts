// The signature check alone, side by side: jose's `jwtVerify` (WebCrypto, what the API used
// before) and the API's `verifyJwt` (node:crypto), on the same distinct RS256 tokens, with the
// same options and the same kind of key source (jose's remote JWKS), in this one process.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { ACCEPTED_ALGORITHMS, createIssuerKeys, verifyJwt } from '@electron-oidc/api';
import { BENCH_AUDIENCE, startBenchIssuer } from './issuer.ts';

export interface SignatureCheckPlan {
  rounds: number;
  /** Distinct tokens each verifier checks per round. */
  tokensPerRound: number;
  /** Checks in flight at once, as with concurrent requests. */
  concurrency: number;
}

/** CPU µs (user + system, this process) per token, per round. */
export interface SignatureCheckResults {
  jose: number[];
  nodeCrypto: number[];
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
    });
    const verifiers: Record<keyof SignatureCheckResults, (token: string) => Promise<unknown>> = {
      jose: (token) => jwtVerify(token, remote, options),
      nodeCrypto: (token) => verifyJwt(token, keys, options),
    };
    const tokens = Array.from({ length: plan.tokensPerRound }, () => issuer.sign());
    const cpuPerToken = async (verify: (token: string) => Promise<unknown>): Promise<number> => {
      const before = process.cpuUsage();
      let next = 0;
      await Promise.all(
        Array.from({ length: plan.concurrency }, async () => {
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
    for (const verify of Object.values(verifiers)) await cpuPerToken(verify);
    const results: SignatureCheckResults = { jose: [], nodeCrypto: [] };
    const names = Object.keys(verifiers) as (keyof SignatureCheckResults)[];
    for (let round = 0; round < plan.rounds; round += 1) {
      // Alternate which goes first.
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        results[name].push(await cpuPerToken(verifiers[name]));
      }
      log(
        `signature check round ${round + 1}/${plan.rounds}: jose ${results.jose.at(-1)!.toFixed(1)} µs, ` +
          `node:crypto ${results.nodeCrypto.at(-1)!.toFixed(1)} µs CPU/token`,
      );
    }
    return results;
  } finally {
    await issuer.close();
  }
}
