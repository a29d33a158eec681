// A small token issuer on loopback for the fuzzers and the load run: a discovery document, a
// JWKS, and tokens signed with any header and claims by keys the caller controls.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';

/** The audience the API under test is configured with. */
export const FUZZ_AUDIENCE = 'https://api.fuzz.example';
/** The scope `GET /private` needs (the API's default). */
export const REQUIRED_SCOPE = 'read:messages';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function generateSigningKey(alg: string, kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

export interface TestIssuer {
  /** The issuer identifier, `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  /** The published keys (RS256 and ES256); tokens are signed with either. */
  keys: readonly SigningKey[];
  /** The RS256 key's public key as PEM, the secret an HS256 key-confusion forgery uses. */
  rsaPublicPem: string;
  /** Requests served, per endpoint. */
  requests: { discovery: number; jwks: number };
  /** The claims of a valid access token, changed by `overrides` (`undefined` removes a claim). */
  claims(overrides?: Record<string, unknown>): Record<string, unknown>;
  /**
   * Signs a JWT. Defaults: a valid RFC 9068 access token (`typ: at+jwt`, the issuer's first key).
   * `header` entries set to `undefined` are removed.
   */
  sign(options?: {
    claims?: Record<string, unknown>;
    header?: Record<string, unknown>;
    key?: SigningKey;
    secret?: Uint8Array;
  }): Promise<string>;
  /** A compact JWS with the given header and payload and the given (possibly empty) signature. */
  compact(header: unknown, payload: unknown, signature?: string): string;
  close(): Promise<void>;
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const keys = [await generateSigningKey('RS256'), await generateSigningKey('ES256')];
  const [rsa] = keys;
  if (rsa === undefined) throw new Error('no key');
  const rsaPublicPem = await exportSPKI(rsa.publicKey);
  const requests = { discovery: 0, jwks: 0 };
  let url = '';

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/.well-known/openid-configuration') {
      requests.discovery += 1;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          issuer: url,
          jwks_uri: `${url}/jwks`,
          id_token_signing_alg_values_supported: ['RS256', 'ES256'],
        }),
      );
    } else if (path === '/jwks') {
      requests.jwks += 1;
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ keys: keys.map((key) => key.publicJwk) }));
    } else {
      res.writeHead(404).end();
    }
  });
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  url = `http://127.0.0.1:${port}`;

  const claims = (overrides: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return withoutUndefined({
      iss: url,
      aud: FUZZ_AUDIENCE,
      sub: 'user-1',
      client_id: 'desktop-app',
      iat: now,
      exp: now + 3600,
      jti: randomUUID(),
      scope: `openid ${REQUIRED_SCOPE}`,
      ...overrides,
    });
  };

  return {
    url,
    keys,
    rsaPublicPem,
    requests,
    claims,
    async sign(options = {}) {
      const key = options.key ?? rsa;
      const header = withoutUndefined({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header });
      return new SignJWT(claims(options.claims))
        .setProtectedHeader(header as { alg: string })
        .sign(options.secret ?? key.privateKey);
    },
    compact(header, payload, signature = '') {
      const encode = (value: unknown) =>
        base64url.encode(typeof value === 'string' ? value : JSON.stringify(value));
      return `${encode(header)}.${encode(payload)}.${signature}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
