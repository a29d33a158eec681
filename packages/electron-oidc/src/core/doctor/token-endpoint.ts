import { randomBytes } from 'node:crypto';
import type { AuthConfig } from '../config.ts';
import { resourceParameters } from '../sign-in/sign-in.ts';
import { request } from './http.ts';
import type { HttpAnswer, ProbeHttp } from './http.ts';

/**
 * What the token endpoint's answer to a test request, a made-up code or
 * refresh token sent exactly as the app would send a real one, shows.
 */
export type TokenAnswer =
  /** It took the client and refused only the made-up grant (`invalid_grant`, or another error not about the client). */
  | { readonly kind: 'grant-refused'; readonly said: string }
  /** It refused the client: `invalid_client`, `unauthorized_client`, HTTP 401, or `invalid_request` asking for client credentials. */
  | { readonly kind: 'client-refused'; readonly error: string; readonly said: string }
  /** `unsupported_grant_type`: it does not offer this grant at all. */
  | { readonly kind: 'grant-type-unsupported'; readonly said: string }
  /** An answer that settles nothing; `seen` says what it was. */
  | { readonly kind: 'undecided'; readonly seen: string }
  /** No HTTP answer at all; `reason` names the URL and what went wrong. */
  | { readonly kind: 'unreachable'; readonly reason: string };

/** Provider failures (RFC 6749 §4.1.2.1's codes, which some providers send here too): they say nothing about the client. */
const PROVIDER_FAILURES: ReadonlySet<string> = new Set(['server_error', 'temporarily_unavailable']);

/** RFC 9449 §5, §8: the request lacked a DPoP proof (the app sends one where discovery lists DPoP); nothing about the client or grant. */
const DPOP_ERRORS: ReadonlySet<string> = new Set(['invalid_dpop_proof', 'use_dpop_nonce']);

/** An `invalid_request` whose description asks for client credentials (Google: "client_secret is missing."). */
const WANTS_CREDENTIALS = /secret|client_assertion|credential|client authentication/i;

/** A non-standard error code that names the client, e.g. `client_not_found`, `invalid_client_secret`. */
const NAMES_THE_CLIENT = /client|secret|credential|assertion|unauthori[sz]ed/i;

/** Provider text shown to the user: printable, bounded. */
function printable(text: string, max: number): string {
  const clean = text.replace(/[^\x20-\x7e\u00a0-\uffff]/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** The RFC 6749 §5.2 error object of a JSON body, if it has one. */
function oauthError(body: string): { error: string; description: string | undefined } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { error, error_description: description } = json as Record<string, unknown>;
  if (typeof error !== 'string' || error === '') return undefined;
  return {
    error: printable(error, 64),
    description: typeof description === 'string' ? printable(description, 200) : undefined,
  };
}

/** What an answer without an OAuth error looked like, for the message. */
function describeAnswer(answer: HttpAnswer): string {
  const type = answer.headers.get('content-type') ?? '';
  let body: string;
  if (answer.body.trim() === '') body = 'an empty body';
  else if (/html/i.test(type) || /^\s*</.test(answer.body)) body = 'an HTML page';
  else if (/json/i.test(type)) body = 'a JSON body without an OAuth "error" member';
  else body = 'a body that is not an OAuth error';
  return `HTTP ${answer.status} with ${body}`;
}

/**
 * Reads a token endpoint's answer to a made-up grant (RFC 6749 §5.2). A
 * refused client is answered `invalid_client` (HTTP 401 where the client
 * tried to authenticate) or `unauthorized_client`; any other error, standard
 * (`invalid_grant`) or not (`invalid_code`), is the provider refusing the
 * made-up grant after it took the client, unless its code names the client.
 */
function readTokenAnswer(answer: HttpAnswer): TokenAnswer {
  if (answer.status >= 200 && answer.status < 300) {
    return { kind: 'undecided', seen: `HTTP ${answer.status} (success) for a made-up grant` };
  }
  const found = oauthError(answer.body);
  const said =
    found === undefined
      ? `HTTP ${answer.status}`
      : `${found.error}${found.description === undefined ? '' : `: "${found.description}"`}`;
  const error = found?.error;
  if (error === 'invalid_grant') return { kind: 'grant-refused', said };
  if (answer.status === 401 || error === 'invalid_client' || error === 'unauthorized_client') {
    return { kind: 'client-refused', error: error ?? 'HTTP 401', said };
  }
  if (found === undefined) return { kind: 'undecided', seen: describeAnswer(answer) };
  if (error === 'unsupported_grant_type') return { kind: 'grant-type-unsupported', said };
  if (error === 'invalid_request' && WANTS_CREDENTIALS.test(found.description ?? '')) {
    return { kind: 'client-refused', error, said };
  }
  if (PROVIDER_FAILURES.has(found.error)) {
    return { kind: 'undecided', seen: `${said}, a failure at the provider` };
  }
  if (DPOP_ERRORS.has(found.error)) {
    return {
      kind: 'undecided',
      seen: `${said}: the provider wants a DPoP proof (RFC 9449), which doctor does not send`,
    };
  }
  if (NAMES_THE_CLIENT.test(found.error)) {
    return { kind: 'undecided', seen: `${said}, a non-standard error that seems to be about the client` };
  }
  return { kind: 'grant-refused', said };
}

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded before Basic encoding. */
function basicCredentials(clientId: string, secret: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64');
}

/** Posts a grant to the token endpoint, the client authenticated exactly as the app does (RFC 6749 §2.3, RFC 8252 §8.4). */
async function postGrant(
  http: ProbeHttp,
  config: AuthConfig,
  endpoint: string,
  grant: Record<string, string>,
): Promise<TokenAnswer> {
  const body = new URLSearchParams({ ...grant, ...resourceParameters(config) });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (config.clientSecret !== undefined && config.clientAuthMethod === 'client_secret_basic') {
    headers['authorization'] = `Basic ${basicCredentials(config.clientId, config.clientSecret)}`;
  } else {
    body.set('client_id', config.clientId);
    if (config.clientSecret !== undefined) body.set('client_secret', config.clientSecret);
  }
  const answer = await request(http, endpoint, { method: 'POST', headers, body: body.toString() });
  if (!answer.ok) return { kind: 'unreachable', reason: `${endpoint} cannot be reached: ${answer.reason}` };
  return readTokenAnswer(answer);
}

/** Exchanges a made-up code (RFC 6749 §4.1.3, with a PKCE verifier): harmless, no code exists to be spent. */
export function probeCodeExchange(
  http: ProbeHttp,
  config: AuthConfig,
  endpoint: string,
  redirectUri: string,
): Promise<TokenAnswer> {
  return postGrant(http, config, endpoint, {
    grant_type: 'authorization_code',
    code: randomBytes(24).toString('base64url'),
    redirect_uri: redirectUri,
    code_verifier: randomBytes(32).toString('base64url'),
  });
}

/** Refreshes with a made-up refresh token (RFC 6749 §6): harmless, it matches no grant, so no rotation or reuse detection fires. */
export function probeRefresh(http: ProbeHttp, config: AuthConfig, endpoint: string): Promise<TokenAnswer> {
  return postGrant(http, config, endpoint, {
    grant_type: 'refresh_token',
    refresh_token: randomBytes(32).toString('base64url'),
  });
}
