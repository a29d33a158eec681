// A token issuer on loopback that the benchmark controls: discovery, a JWKS, and RS256 access
// tokens (RFC 9068) signed in bulk with node:crypto (jose generates and exports the key).
import { randomBytes, randomUUID, sign } from 'node:crypto';
import { KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';

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

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function startBenchIssuer(): Promise<BenchIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const signingKey = KeyObject.from(privateKey);
  const requests = { discovery: 0, jwks: 0 };
  let url = '';

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/.well-known/openid-configuration') {
      requests.discovery += 1;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          issuer: url,
          jwks_uri: `${url}/jwks`,
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      );
    } else if (path === '/jwks') {
      requests.jwks += 1;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  url = `http://127.0.0.1:${port}`;

  const claims = () => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: url,
      aud: BENCH_AUDIENCE,
      sub: 'user-1',
      client_id: 'desktop-app',
      iat: now,
      // Long enough for the whole benchmark.
      exp: now + 3600,
      jti: randomUUID(),
      scope: 'openid read:messages',
    };
  };

  return {
    url,
    jwksUri: `${url}/jwks`,
    requests,
    sign() {
      const input = `${b64({ alg: 'RS256', kid, typ: 'at+jwt' })}.${b64(claims())}`;
      return `${input}.${sign('sha256', Buffer.from(input), signingKey).toString('base64url')}`;
    },
    unknownKid() {
      const input = `${b64({ alg: 'RS256', kid: randomUUID(), typ: 'at+jwt' })}.${b64(claims())}`;
      return `${input}.${randomBytes(256).toString('base64url')}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
