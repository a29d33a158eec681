import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A raw answer: status, headers and body as sent. */
export interface RawAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** How one fake provider misbehaves; everything unset behaves like a good provider. */
export interface FakeProviderCase {
  /** Changes the discovery document (given the good one and the base URL). */
  metadata?: (good: Record<string, unknown>, base: string) => Record<string, unknown>;
  /** Answers discovery with this instead of the document. */
  discovery?: RawAnswer;
  /** The JWK Set to serve (default: one RSA public key with a kid). */
  jwks?: (publicJwk: Record<string, unknown>, privateJwk: Record<string, unknown>) => unknown;
  /** Answers the authorization request (default: 302 to the login page). */
  authorize?: (params: URLSearchParams) => RawAnswer;
  /** Answers the token request (default: 400 invalid_grant, as for a made-up code). */
  token?: (body: URLSearchParams, authorization: string | undefined) => RawAnswer;
}

export interface FakeProvider {
  readonly issuer: string;
  /** The authorization requests received, as query parameters. */
  readonly authorizationRequests: URLSearchParams[];
  /** The token requests received, as form bodies. */
  readonly tokenRequests: URLSearchParams[];
  close(): Promise<void>;
}

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PUBLIC_JWK = { ...publicKey.export({ format: 'jwk' }), kid: 'key-1', use: 'sig', alg: 'RS256' };
const PRIVATE_JWK = { ...privateKey.export({ format: 'jwk' }), kid: 'key-1', use: 'sig', alg: 'RS256' };

/** A well-behaved provider's discovery document, for a base URL. */
export function goodMetadata(base: string): Record<string, unknown> {
  return {
    issuer: base,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks`,
    userinfo_endpoint: `${base}/userinfo`,
    end_session_endpoint: `${base}/logout`,
    revocation_endpoint: `${base}/revoke`,
    response_types_supported: ['code'],
    response_modes_supported: ['query', 'fragment'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    authorization_response_iss_parameter_supported: true,
  };
}

function send(res: ServerResponse, answer: RawAnswer): void {
  res.writeHead(answer.status, answer.headers ?? {});
  res.end(answer.body ?? '');
}

function json(status: number, value: unknown): RawAnswer {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

function html(status: number, body: string): RawAnswer {
  return { status, headers: { 'content-type': 'text/html' }, body };
}

/** The authorization endpoint sends the browser back to the app at once with `error` (and the request's state). */
function redirectBack(params: URLSearchParams, error: string): RawAnswer {
  const back = new URL(params.get('redirect_uri') ?? '');
  back.searchParams.set('error', error);
  back.searchParams.set('state', params.get('state') ?? '');
  return { status: 302, headers: { location: back.href } };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  req.setEncoding('utf8');
  for await (const chunk of req) body += chunk as string;
  return body;
}

/** Starts a fake OpenID Provider on 127.0.0.1 that behaves as `fake` says. */
export async function startFakeProvider(fake: FakeProviderCase = {}): Promise<FakeProvider> {
  const authorizationRequests: URLSearchParams[] = [];
  const tokenRequests: URLSearchParams[] = [];
  let base = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    void (async () => {
      switch (url.pathname) {
        case '/.well-known/openid-configuration': {
          if (fake.discovery !== undefined) return send(res, fake.discovery);
          const good = goodMetadata(base);
          return send(res, json(200, fake.metadata === undefined ? good : fake.metadata(good, base)));
        }
        case '/jwks':
          return send(
            res,
            json(200, fake.jwks === undefined ? { keys: [PUBLIC_JWK] } : fake.jwks(PUBLIC_JWK, PRIVATE_JWK)),
          );
        case '/authorize':
          authorizationRequests.push(url.searchParams);
          return send(
            res,
            fake.authorize === undefined
              ? { status: 302, headers: { location: `/login?session=${Math.random()}` } }
              : fake.authorize(url.searchParams),
          );
        case '/token': {
          const body = new URLSearchParams(await readBody(req));
          tokenRequests.push(body);
          return send(
            res,
            fake.token === undefined
              ? json(400, { error: 'invalid_grant', error_description: 'code not found' })
              : fake.token(body, req.headers.authorization),
          );
        }
        default:
          return send(res, html(404, '<h1>Not found</h1>'));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: base,
    authorizationRequests,
    tokenRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export { html, json, redirectBack };
