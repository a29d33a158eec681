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
  const state = randomBytes(16).toString('base64url');
  const url = new URL(endpoint);
  const parameters: Record<string, string> = {
    ...config.authorizationParams,
    client_id: config.clientId,
    redirect_uri: redirectUri,
    scope: config.scopes.join(' '),
    response_type: 'code',
    code_challenge: pkceChallenge(),
    code_challenge_method: 'S256',
    state,
    nonce: randomBytes(16).toString('base64url'),
    ...resourceParameters(config),
  };
  for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);

  const answer = await request(http, url.href, { redirect: 'manual', headers: { accept: 'text/html' } });
  if (!answer.ok) {
    return check('authorization-request', 'fail', `${endpoint} cannot be reached: ${answer.reason}.`);
  }
  const where = `with client "${config.clientId}" and redirect URI ${redirectUri}`;
  const location = answer.headers.get('location');
  if (answer.status >= 300 && answer.status < 400 && location !== null) {
    if (!URL.canParse(location, endpoint)) {
      return check(
        'authorization-request',
        'warn',
        `${endpoint} redirected to "${location}", which is not a URL.`,
      );
    }
    const target = new URL(location, endpoint);
    const expected = new URL(redirectUri);
    if (target.origin === expected.origin && target.pathname === expected.pathname) {
      const params = target.searchParams;
      const returnedIss = params.get('iss');
      if (returnedIss !== null && returnedIss !== issuer) {
        return check(
          'authorization-request',
          'fail',
          `The provider sent the browser back with iss "${returnedIss}", not its issuer "${issuer}": the app would reject every sign-in (RFC 9207 §2.4).`,
        );
      }
      const error = params.get('error');
      if (error !== null) {
        const description = params.get('error_description');
        return check(
          'authorization-request',
          'fail',
          `The provider refused the sign-in request ${where}: ${error}${description === null ? '' : ` ("${description}")`}; ${explainAuthorizationError(error, config)}.`,
        );
      }
      return check(
        'authorization-request',
        params.has('code') ? 'ok' : 'warn',
        params.has('code')
          ? `The provider accepted the sign-in request ${where} and answered with a code at once.`
          : `The provider sent the browser back to ${redirectUri} with neither a code nor an error.`,
      );
    }
    const error = target.searchParams.get('error');
    if (error !== null) {
      return check(
        'authorization-request',
        'fail',
        `The provider refused the sign-in request ${where} and sent the browser to its error page (${error}): ${explainAuthorizationError(error, config)}.`,
      );
    }
    return check(
      'authorization-request',
      'ok',
      `The provider accepted the sign-in request ${where}: it would show its login page (${target.origin}${target.pathname}).`,
    );
  }
  if (answer.status >= 200 && answer.status < 300) {
    const hint = ERROR_HINT.exec(answer.body)?.[1];
    if (hint !== undefined) {
      return check(
        'authorization-request',
        'warn',
        `The provider answered the sign-in request ${where} with a page that mentions "${hint}": it may be an error page rather than the login page. Open ${endpoint} with these parameters in a browser to see.`,
      );
    }
    return check(
      'authorization-request',
      'ok',
      `The provider accepted the sign-in request ${where}: it would show its login page.`,
    );
  }
  if (answer.status >= 400 && answer.status < 500) {
    const hint = errorPageHint(answer.body);
    const meaning = /^[a-z_]+$/.test(hint ?? '')
      ? explainAuthorizationError(hint as string, config)
      : 'it does not accept this client id or this redirect URI';
    return check(
      'authorization-request',
      'fail',
      `The provider refused the sign-in request ${where} before any login page (HTTP ${answer.status}${hint === undefined ? '' : `, ${hint}`}): ${meaning}. Register a native/public client "${config.clientId}" with the redirect URI http://127.0.0.1${config.callbackPath}${config.redirectPort === undefined ? ' (any port)' : `:${config.redirectPort}`}.`,
    );
  }
  if (answer.status >= 500) {
    return check(
      'authorization-request',
      'fail',
      `${endpoint} failed with HTTP ${answer.status}: the provider cannot start a sign-in right now.`,
    );
  }
  return check(
    'authorization-request',
    'warn',
    `${endpoint} answered HTTP ${answer.status}, which doctor cannot interpret.`,
  );
}
