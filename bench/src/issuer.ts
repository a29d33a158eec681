// The benchmark's token issuer: the shared fake issuer on loopback (discovery, a JWKS with one
// RS256 key), with access tokens (RFC 9068) valid for the whole run and signed in bulk.
import { randomBytes, randomUUID } from 'node:crypto';
import { FakeIssuer } from '@electron-oidc/test-support';

export const BENCH_AUDIENCE = 'https://api.bench.example';

export interface BenchIssuer {
  url: string;
  jwksUri: string;
  /** Requests served per endpoint so far. */
  requests: { discovery: number; jwks: number };
  /** A valid access token with the `read:messages` scope, distinct from every other. */
  sign(): string;
  /** A token naming a `kid` the issuer never published (its signature is never reached). */
  unknownKid(): string;
  close(): Promise<void>;
}

export async function startBenchIssuer(): Promise<BenchIssuer> {
  // Tokens live long enough for the whole benchmark.
  const issuer = await FakeIssuer.start({ audience: BENCH_AUDIENCE, lifetime: 3600 });
  return {
    url: issuer.url,
    jwksUri: issuer.jwksUri,
    requests: issuer.requests,
    sign: () => issuer.signSync(),
    unknownKid: () =>
      issuer.compact(
        { alg: 'RS256', kid: randomUUID(), typ: 'at+jwt' },
        issuer.claims(),
        randomBytes(256).toString('base64url'),
      ),
    close: () => issuer.close(),
  };
}
