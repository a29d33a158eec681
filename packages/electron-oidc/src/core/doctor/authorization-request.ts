import { createHash, randomBytes } from 'node:crypto';
import type { AuthConfig } from '../config.ts';
import { resourceParameters } from '../sign-in/sign-in.ts';
import { request } from './http.ts';
import type { ProbeHttp } from './http.ts';
import { check } from './report.ts';
import type { DoctorCheck } from './report.ts';

/** What each OAuth error at the authorization endpoint means for this app, and what to change. */
function explainAuthorizationError(error: string, config: AuthConfig): string {
  switch (error) {
    case 'invalid_client':
      return `the provider does not know client "${config.clientId}" (check OIDC_CLIENT_ID)`;
    case 'unauthorized_client':
      return `client "${config.clientId}" may not use the authorization code flow (allow the Authorization Code grant for it, as a native/public client)`;
    case 'invalid_scope':
      return `a requested scope is unknown or not allowed for this client (requested: ${config.scopes.join(' ')}; fix OIDC_SCOPES or allow the scopes at the provider)`;
    case 'invalid_target':
      return `the provider refused the resource indicator "${config.apiAudience}" (RFC 8707): register the API with exactly that identifier, or, where the provider takes an audience parameter instead, set OIDC_SEND_RESOURCE=false and OIDC_AUDIENCE_PARAM`;
    case 'unsupported_response_type':
      return 'the provider does not allow response_type=code for this client';
    case 'invalid_request':
      return 'the provider found the request malformed or missing a parameter it requires';
    case 'access_denied':
      return "the provider refused without asking the user (a policy or the client's settings)";
    case 'server_error':
    case 'temporarily_unavailable':
      return 'the provider failed; try again later';
    default:
      return 'the provider refused the sign-in request';
  }
}

/** OAuth error codes (and Entra's AADSTS numbers) an error page may show; only used to explain a refusal. */
const ERROR_HINT =
  /\b(invalid_client|unauthorized_client|invalid_request|invalid_scope|invalid_target|redirect_uri_mismatch|invalid_redirect_uri|AADSTS\d{4,})\b/;

function errorPageHint(body: string): string | undefined {
  const code = ERROR_HINT.exec(body)?.[1];
  if (code !== undefined) return code;
  const title = /<title[^>]*>([^<]{1,120})<\/title>/i.exec(body)?.[1]?.trim();
  return title === undefined || title === '' ? undefined : `page title "${title}"`;
}

/** PKCE S256 challenge for a random verifier (RFC 7636 §4.1, §4.2). */
function pkceChallenge(): string {
  const verifier = randomBytes(32).toString('base64url');
  return createHash('sha256').update(verifier).digest('base64url');
}

/** Provider failures (RFC 6749 §4.1.2.1): they say the provider cannot answer now, not that it refuses the app. */
const PROVIDER_FAILURES: ReadonlySet<string> = new Set(['server_error', 'temporarily_unavailable']);

/** The authorization request a sign-in sends (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1, RFC 8707). */
function authorizationUrl(config: AuthConfig, endpoint: string, redirectUri: string): URL {
  const url = new URL(endpoint);
  const parameters: Record<string, string> = {
    ...config.authorizationParams,
    client_id: config.clientId,
    redirect_uri: redirectUri,
    scope: config.scopes.join(' '),
    response_type: 'code',
    code_challenge: pkceChallenge(),
    code_challenge_method: 'S256',
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
    ...resourceParameters(config),
  };
  for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
  return url;
}

/** What doctor is judging, for the messages. */
interface Probe {
  readonly config: AuthConfig;
  readonly endpoint: string;
  readonly issuer: string;
  readonly redirectUri: string;
  /** "with client … and redirect URI …". */
  readonly where: string;
}

/** An OAuth `error` the provider answered the request with (in a redirect). */
function judgeError(probe: Probe, error: string, description: string | null, page: boolean): DoctorCheck {
  const said = `${error}${description === null ? '' : ` ("${description}")`}`;
  if (PROVIDER_FAILURES.has(error)) {
    return check(
      'authorization-request',
      'warn',
      `The provider failed on the sign-in request ${probe.where} (${said}): it cannot start a sign-in right now, which says nothing about the configuration. Run doctor again later.`,
    );
  }
  return check(
    'authorization-request',
    'fail',
    page
      ? `The provider refused the sign-in request ${probe.where} and sent the browser to its error page (${said}): ${explainAuthorizationError(error, probe.config)}.`
      : `The provider refused the sign-in request ${probe.where}: ${said}; ${explainAuthorizationError(error, probe.config)}.`,
  );
}

/** The provider sent the browser back to the app's redirect URI at once: with an error, a code, or neither. */
function judgeReturn(probe: Probe, params: URLSearchParams): DoctorCheck {
  const returnedIss = params.get('iss');
  if (returnedIss !== null && returnedIss !== probe.issuer) {
    return check(
      'authorization-request',
      'fail',
      `The provider sent the browser back with iss "${returnedIss}", not its issuer "${probe.issuer}": the app would reject every sign-in (RFC 9207 §2.4).`,
    );
  }
  const error = params.get('error');
  if (error !== null && error !== '') return judgeError(probe, error, params.get('error_description'), false);
  if (params.has('code')) {
    return check(
      'authorization-request',
      'ok',
      `The provider accepted the sign-in request ${probe.where} and answered with a code at once.`,
    );
  }
  return check(
    'authorization-request',
    'warn',
    `The provider sent the browser back to ${probe.redirectUri} with neither a code nor an error: doctor cannot tell what a sign-in would do. Try "npm run cli -- login".`,
  );
}

/** A redirect: back to the app, to an error page, or to the login page. */
function judgeRedirect(probe: Probe, location: string): DoctorCheck {
  if (!URL.canParse(location, probe.endpoint)) {
    return check(
      'authorization-request',
      'warn',
      `${probe.endpoint} redirected to "${location}", which is not a URL.`,
    );
  }
  const target = new URL(location, probe.endpoint);
  const expected = new URL(probe.redirectUri);
  if (target.origin === expected.origin && target.pathname === expected.pathname) {
    return judgeReturn(probe, target.searchParams);
  }
  const error = target.searchParams.get('error');
  if (error !== null && error !== '') {
    return judgeError(probe, error, target.searchParams.get('error_description'), true);
  }
  return check(
    'authorization-request',
    'ok',
    `The provider accepted the sign-in request ${probe.where}: it would show its login page (${target.origin}${target.pathname}).`,
  );
}

/**
 * A 4xx page instead of a login page. RFC 6749 §4.1.2.1: a provider that finds
 * the client id or the redirect URI invalid tells the user and does not
 * redirect, so a 400, or a page naming such an error, is a refusal. Other 4xx
 * answers without one may be a gate for non-browser clients (bot protection, a
 * rate limit) that the browser would pass.
 */
function judgeRefusalPage(probe: Probe, status: number, body: string): DoctorCheck {
  const hint = errorPageHint(body);
  const code = ERROR_HINT.exec(body)?.[1];
  const seen = `HTTP ${status}${hint === undefined ? '' : `, ${hint}`}`;
  if (status !== 400 && code === undefined) {
    return check(
      'authorization-request',
      'warn',
      `The provider answered the sign-in request ${probe.where} with ${seen} and no OAuth error: doctor cannot tell a refusal from a gate for non-browser clients (bot protection, a rate limit). Run "npm run cli -- login" to see what the browser gets.`,
    );
  }
  const meaning = /^[a-z_]+$/.test(hint ?? '')
    ? explainAuthorizationError(hint as string, probe.config)
    : 'it does not accept this client id or this redirect URI';
  return check(
    'authorization-request',
    'fail',
    `The provider refused the sign-in request ${probe.where} before any login page (${seen}): ${meaning}. Register a native/public client "${probe.config.clientId}" with the redirect URI http://127.0.0.1${probe.config.callbackPath}${probe.config.redirectPort === undefined ? ' (any port)' : `:${probe.config.redirectPort}`}.`,
  );
}

/** A 2xx page: the login page, unless it names an OAuth error. */
function judgePage(probe: Probe, body: string): DoctorCheck {
  const hint = ERROR_HINT.exec(body)?.[1];
  if (hint !== undefined) {
    return check(
      'authorization-request',
      'warn',
      `The provider answered the sign-in request ${probe.where} with a page that mentions "${hint}": it may be an error page rather than the login page. Open ${probe.endpoint} with these parameters in a browser to see.`,
    );
  }
  return check(
    'authorization-request',
    'ok',
    `The provider accepted the sign-in request ${probe.where}: it would show its login page.`,
  );
}

/**
 * Sends the authorization request a sign-in would send (RFC 6749 §4.1.1 with
 * PKCE, state, nonce, the loopback redirect URI, the scopes and the
 * resource/audience), without following redirects, and judges the answer: a
 * login page means the provider accepted the client and the redirect URI.
 * No user signs in; the provider only starts an interaction.
 */
export async function checkAuthorizationRequest(
  http: ProbeHttp,
  config: AuthConfig,
  endpoint: string,
  issuer: string,
  redirectUri: string,
): Promise<DoctorCheck> {
  const url = authorizationUrl(config, endpoint, redirectUri);
  const answer = await request(http, url.href, { redirect: 'manual', headers: { accept: 'text/html' } });
  if (!answer.ok) {
    // The browser sends this request, not the app, possibly through a proxy doctor does not use.
    return check(
      'authorization-request',
      'warn',
      `${endpoint} cannot be reached from here: ${answer.reason}. The browser opens it, maybe through another proxy: run "npm run cli -- login" to see whether it loads there.`,
    );
  }
  const where = `with client "${config.clientId}" and redirect URI ${redirectUri}`;
  const probe: Probe = { config, endpoint, issuer, redirectUri, where };
  const location = answer.headers.get('location');
  if (answer.status >= 300 && answer.status < 400 && location !== null) return judgeRedirect(probe, location);
  if (answer.status >= 200 && answer.status < 300) return judgePage(probe, answer.body);
  if (answer.status >= 400 && answer.status < 500) return judgeRefusalPage(probe, answer.status, answer.body);
  return check(
    'authorization-request',
    'warn',
    answer.status >= 500
      ? `${endpoint} failed with HTTP ${answer.status}: the provider cannot start a sign-in right now, which says nothing about the configuration. Run doctor again later.`
      : `${endpoint} answered HTTP ${answer.status}, which doctor cannot interpret. Run "npm run cli -- login" to see what the browser gets.`,
  );
}
