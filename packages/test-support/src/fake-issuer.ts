// A token issuer on loopback for tests, fuzzers, benchmarks and load runs: an OpenID discovery
// document and a JWKS of keys it generates with jose, tokens signed with any header and claims,
// keys that rotate, and endpoints that can hang, fail or refuse connections.
import { KeyObject, randomUUID, sign as cryptoSign } from 'node:crypto';
import http from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { freeLoopbackPort, listenOnLoopback } from './loopback.ts';

/** The audience tokens carry unless the issuer was started with another. */
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
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

/** How an endpoint misbehaves: answer normally, never answer, answer 500, or drop the connection. */
export type EndpointMode = 'ok' | 'hang' | 'error' | 'reset';

export interface FakeIssuerOptions {
  /** The `aud` of the default claims (default {@link TEST_AUDIENCE}). */
  audience?: string;
  /** Seconds from `iat` to `exp` in the default claims (default 300). */
  lifetime?: number;
  /**
   * One key is generated per algorithm, the first signs (default `['RS256']`). The discovery
   * document lists these as `id_token_signing_alg_values_supported`.
   */
  algorithms?: readonly string[];
}

export interface SignOptions {
  /** Claims to add or replace; `undefined` removes a default claim. */
  claims?: Record<string, unknown>;
  /** Header parameters to add or replace; `undefined` removes a default one. */
  header?: Record<string, unknown>;
  /** Sign with this key (its `alg` and `kid` in the header) instead of the issuer's current one. */
  key?: IssuerKey;
  /** Sign with this key material instead (a foreign key, an HMAC secret…); the header stays as given. */
  signingKey?: CryptoKey | Uint8Array;
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

function encodeSegment(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** How node:crypto makes a JWS signature of each algorithm `signSync` supports (RFC 7518 §3.3, §3.4). */
const NODE_SIGNATURES: Record<string, { hash: string; dsaEncoding?: 'ieee-p1363' }> = {
  RS256: { hash: 'sha256' },
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' },
};

/** One KeyObject per private key: converting per token would dominate bulk signing. */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function keyObjectOf(key: CryptoKey): KeyObject {
  let keyObject = keyObjects.get(key);
  if (keyObject === undefined) {
    keyObject = KeyObject.from(key);
    keyObjects.set(key, keyObject);
  }
  return keyObject;
}

/**
 * A token issuer on loopback: a discovery document and a JWKS of keys it generates, tokens
 * signed with any header and claims, keys that rotate, and endpoints that can hang, fail or
 * refuse connections.
 *
 * @example
 * const issuer = await FakeIssuer.start({ audience: 'https://api.example', lifetime: 3600 });
 * const token = await issuer.sign({ claims: { scope: 'openid' } });
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
  readonly #audience: string;
  readonly #lifetime: number;
  readonly #algorithms: string[];

  private constructor(
    server: http.Server,
    port: number,
    keys: IssuerKey[],
    options: Required<FakeIssuerOptions>,
  ) {
    this.#server = server;
    this.#port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.keys = keys;
    this.#audience = options.audience;
    this.#lifetime = options.lifetime;
    this.#algorithms = [...new Set(options.algorithms)];
  }

  static async start(options: FakeIssuerOptions = {}): Promise<FakeIssuer> {
    const settings = { audience: TEST_AUDIENCE, lifetime: 300, algorithms: ['RS256'], ...options };
    const keys: IssuerKey[] = [];
    for (const alg of settings.algorithms) keys.push(await generateIssuerKey(alg));
    const server = http.createServer();
    const { port } = await listenOnLoopback(server);
    const issuer = new FakeIssuer(server, port, keys, settings);
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
        id_token_signing_alg_values_supported: this.#algorithms,
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

  /** Claims of a valid access token with the `read:messages` scope, changed by `overrides`. */
  claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return withoutUndefined({
      iss: this.url,
      aud: this.#audience,
      sub: 'user-1',
      client_id: TEST_CLIENT_ID,
      iat: now,
      exp: now + this.#lifetime,
      jti: randomUUID(),
      scope: 'openid read:messages',
      ...overrides,
    });
  }

  /** A signed JWT (jose): a valid RFC 9068 access token unless the options change it. */
  async sign(options: SignOptions = {}): Promise<string> {
    const key = options.key ?? this.currentKey;
    const header = withoutUndefined({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header });
    return new SignJWT(this.claims(options.claims))
      .setProtectedHeader(header as { alg: string })
      .sign(options.signingKey ?? key.privateKey);
  }

  /**
   * A valid RFC 9068 access token signed synchronously with node:crypto by the current key
   * (RS256 or ES256), for making tokens in bulk; `claims` as in {@link claims}.
   */
  signSync(claims: Record<string, unknown> = {}): string {
    const key = this.currentKey;
    const signature = NODE_SIGNATURES[key.alg];
    if (signature === undefined) throw new Error(`signSync cannot sign with ${key.alg}`);
    const input = `${encodeSegment({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })}.${encodeSegment(this.claims(claims))}`;
    const keyObject = keyObjectOf(key.privateKey);
    const bytes = cryptoSign(
      signature.hash,
      Buffer.from(input),
      signature.dsaEncoding ? { key: keyObject, dsaEncoding: signature.dsaEncoding } : keyObject,
    );
    return `${input}.${bytes.toString('base64url')}`;
  }

  /** A compact JWS of `header` and `payload` (strings are taken as they are) with `signature` as given. */
  compact(header: unknown, payload: unknown, signature = ''): string {
    return `${encodeSegment(header)}.${encodeSegment(payload)}.${signature}`;
  }

  /** An unsigned token (`alg: none`, empty signature) with the default claims. */
  unsigned(header: Record<string, unknown> = {}): string {
    return this.compact({ alg: 'none', kid: this.currentKey.kid, typ: 'at+jwt', ...header }, this.claims());
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
    await listenOnLoopback(this.#server, this.#port);
  }

  async close(): Promise<void> {
    if (this.#server.listening) await this.stop();
  }
}

/** A URL on loopback where nothing listens (connections are refused). */
export async function refusingUrl(): Promise<string> {
  return `http://127.0.0.1:${await freeLoopbackPort()}`;
}
