import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';

/** The audience tokens carry unless a test says otherwise. */
export const TEST_AUDIENCE = 'https://api.test.example';
/** The client tokens were issued to (an ID token's audience). */
export const TEST_CLIENT_ID = 'desktop-app';

/** A signing key pair, as an issuer would hold it. */
export interface IssuerKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public JWK as published in the JWKS. */
  publicJwk: JWK;
}

export async function generateIssuerKey(alg = 'RS256', kid: string = randomUUID()): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

/** How an endpoint misbehaves: answer normally, never answer, answer 500, or drop the connection. */
export type EndpointMode = 'ok' | 'hang' | 'error' | 'reset';

export interface SignOptions {
  /** Claims to add or replace; `undefined` removes a default claim. */
  claims?: Record<string, unknown>;
  /** Header parameters to add or replace; `undefined` removes a default one. */
  header?: Record<string, unknown>;
  /** Sign with this key instead of the issuer's current one (a foreign key, an HMAC secret…). */
  signingKey?: CryptoKey | Uint8Array;
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/**
 * A token issuer on loopback for tests: a discovery document and a JWKS of keys it
 * generates, tokens signed with any header and claims, keys that rotate, and endpoints
 * that can hang, fail or refuse connections.
 */
export class FakeIssuer {
  /** The issuer identifier: `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** Published keys; the first one signs. */
  keys: IssuerKey[];
  /** Requests served per endpoint. */
  readonly requests = { discovery: 0, jwks: 0 };
  /** Behaviour of each endpoint. */
  readonly mode: { discovery: EndpointMode; jwks: EndpointMode } = { discovery: 'ok', jwks: 'ok' };
  /** Members to add to (or replace in) the discovery document. */
  discoveryOverrides: Record<string, unknown> = {};

  readonly #server: http.Server;
  readonly #port: number;

  private constructor(server: http.Server, port: number, keys: IssuerKey[]) {
    this.#server = server;
    this.#port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.keys = keys;
  }

  static async start(): Promise<FakeIssuer> {
    const key = await generateIssuerKey();
    const server = http.createServer();
    const port = await new Promise<number>((resolve) => {
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
    const issuer = new FakeIssuer(server, port, [key]);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => issuer.handle(req, res));
    return issuer;
  }

  /** The key that signs new tokens. */
  get currentKey(): IssuerKey {
    const [key] = this.keys;
    if (key === undefined) throw new Error('the fake issuer has no key');
    return key;
  }

  get jwksUri(): string {
    return `${this.url}/jwks`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    // No keep-alive: a client must not reuse a socket across a restart of this server.
    res.setHeader('Connection', 'close');
    const path = new URL(req.url ?? '/', this.url).pathname;
    if (path === '/.well-known/openid-configuration') {
      this.requests.discovery += 1;
      this.answer(res, this.mode.discovery, {
        issuer: this.url,
        jwks_uri: this.jwksUri,
        id_token_signing_alg_values_supported: ['RS256'],
        ...this.discoveryOverrides,
      });
    } else if (path === '/jwks') {
      this.requests.jwks += 1;
      this.answer(res, this.mode.jwks, { keys: this.keys.map((key) => key.publicJwk) });
    } else {
      res.writeHead(404).end();
    }
  }

  private answer(res: http.ServerResponse, mode: EndpointMode, body: unknown): void {
    switch (mode) {
      case 'ok':
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
        return;
      case 'error':
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('internal error');
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'hang':
        return; // never answer; close() drops the connection
    }
  }

  /** Default claims of a valid access token for `audience` with the `read:messages` scope. */
  claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return withoutUndefined({
      iss: this.url,
      aud: TEST_AUDIENCE,
      sub: 'user-1',
      client_id: TEST_CLIENT_ID,
      iat: now,
      exp: now + 300,
      jti: randomUUID(),
      scope: 'openid read:messages',
      ...overrides,
    });
  }

  /** A signed JWT: a valid RFC 9068 access token unless the options change it. */
  async sign(options: SignOptions = {}): Promise<string> {
    const key = this.currentKey;
    const header = withoutUndefined({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header });
    return new SignJWT(this.claims(options.claims))
      .setProtectedHeader(header as { alg: string })
      .sign(options.signingKey ?? key.privateKey);
  }

  /** An unsigned token (`alg: none`, empty signature) with the default claims. */
  unsigned(header: Record<string, unknown> = {}): string {
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
    const fullHeader = { alg: 'none', kid: this.currentKey.kid, typ: 'at+jwt', ...header };
    return `${encode(fullHeader)}.${encode(this.claims())}.`;
  }

  /** Publishes a new key; with `sign: true` it also becomes the signing key (a rotation). */
  async addKey(options: { alg?: string; sign?: boolean } = {}): Promise<IssuerKey> {
    const key = await generateIssuerKey(options.alg);
    this.keys = options.sign ? [key, ...this.keys] : [...this.keys, key];
    return key;
  }

  /** Stops publishing a key. */
  removeKey(kid: string): void {
    this.keys = this.keys.filter((key) => key.kid !== kid);
  }

  /** Stops listening: connections to its port are refused until {@link restart}. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.#server.listening) await this.stop();
  }
}

/** A URL on loopback where nothing listens (connections are refused). */
export async function refusingUrl(): Promise<string> {
  const server = http.createServer();
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
