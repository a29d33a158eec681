// A token issuer on loopback for the load run: discovery, a JWKS with one RS256 key, and access
// tokens (RFC 9068) signed in bulk with node:crypto, valid or deliberately wrong.
import { KeyObject, randomUUID, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';

export const LOAD_AUDIENCE = 'https://api.load.example';

export interface LoadIssuer {
  url: string;
  /** An access token; `claims` replace the defaults (a valid token with `read:messages`). */
  sign(claims?: Record<string, unknown>): string;
  close(): Promise<void>;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function startLoadIssuer(): Promise<LoadIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] });
  const signingKey = KeyObject.from(privateKey);
  let url = '';
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/.well-known/openid-configuration') {
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks` }));
    } else if (path === '/jwks') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(jwks);
    } else {
      res.writeHead(404).end();
    }
  });
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    sign(claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        iss: url,
        aud: LOAD_AUDIENCE,
        sub: 'user-1',
        client_id: 'desktop-app',
        iat: now,
        exp: now + 3600,
        jti: randomUUID(),
        scope: 'openid read:messages',
        ...claims,
      };
      const input = `${b64({ alg: 'RS256', kid, typ: 'at+jwt' })}.${b64(payload)}`;
      return `${input}.${sign('sha256', Buffer.from(input), signingKey).toString('base64url')}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
