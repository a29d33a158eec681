import { randomBytes } from 'node:crypto';
import type { AuthConfig } from '../config.ts';
import { resourceParameters } from '../sign-in/sign-in.ts';
import { request } from './http.ts';
import type { ProbeHttp } from './http.ts';
import { listMember } from './metadata.ts';
import type { ProviderMetadata } from './metadata.ts';
import { check } from './report.ts';
import type { DoctorCheck } from './report.ts';

/** How the token endpoint answered a code exchange with a made-up code. */
type TokenProbe =
  | { readonly kind: 'client-accepted'; readonly error: string }
  | { readonly kind: 'client-refused'; readonly error: string; readonly description: string | undefined }
  | { readonly kind: 'inconclusive'; readonly reason: string };

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded before Basic encoding. */
function basicCredentials(clientId: string, secret: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64');
}

/**
 * Exchanges a made-up code at the token endpoint, authenticating exactly as the
 * app would (RFC 6749 §4.1.3). RFC 6749 §5.2: a provider that accepts the
 * client refuses the code (`invalid_grant`); one that wants client
 * authentication answers `invalid_client` (or, at some providers,
 * `unauthorized_client` or an `invalid_request` naming the missing secret).
 */
async function probeTokenEndpoint(
  http: ProbeHttp,
  config: AuthConfig,
  endpoint: string,
  redirectUri: string,
): Promise<TokenProbe> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: randomBytes(24).toString('base64url'),
    redirect_uri: redirectUri,
    code_verifier: randomBytes(32).toString('base64url'),
    ...resourceParameters(config),
  });
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
  if (!answer.ok) return { kind: 'inconclusive', reason: `${endpoint} cannot be reached: ${answer.reason}` };
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    return { kind: 'inconclusive', reason: `${endpoint} answered HTTP ${answer.status} without a JSON body` };
  }
  const error = (json as { error?: unknown } | null)?.error;
  const rawDescription = (json as { error_description?: unknown } | null)?.error_description;
  const description = typeof rawDescription === 'string' ? rawDescription : undefined;
  if (typeof error !== 'string') {
    return {
      kind: 'inconclusive',
      reason: `${endpoint} answered HTTP ${answer.status} without an OAuth error`,
    };
  }
  if (error === 'invalid_grant') return { kind: 'client-accepted', error };
  if (error === 'invalid_client' || error === 'unauthorized_client') {
    return { kind: 'client-refused', error, description };
  }
  if (
    error === 'invalid_request' &&
    description !== undefined &&
    /secret|client_assertion|credential/i.test(description)
  ) {
    return { kind: 'client-refused', error, description };
  }
  return {
    kind: 'inconclusive',
    reason: `${endpoint} answered ${error}${description === undefined ? '' : ` ("${description}")`}`,
  };
}

/**
 * Whether the token endpoint takes this client as configured: a public client
 * with no secret (RFC 8252 §8.4, `token_endpoint_auth_method` "none"), or with
 * the configured secret. Metadata alone is not enough: several providers
 * accept public clients without listing "none".
 */
export async function checkClientAuthentication(
  http: ProbeHttp,
  config: AuthConfig,
  meta: ProviderMetadata,
  endpoint: string,
  redirectUri: string,
): Promise<DoctorCheck> {
  const listed = listMember(meta, 'token_endpoint_auth_methods_supported');
  // RFC 8414 §2: when absent, the default is client_secret_basic.
  const methods = listed === undefined || listed === 'invalid' ? ['client_secret_basic'] : listed;
  const method = config.clientAuthMethod;
  const isListed = methods.includes(method);
  const probe = await probeTokenEndpoint(http, config, endpoint, redirectUri);
  const as =
    method === 'none'
      ? 'without a client secret (a public native client, RFC 8252 §8.4)'
      : `with its client secret (${method})`;

  if (probe.kind === 'client-accepted') {
    return check(
      'client-authentication',
      'ok',
      `The token endpoint takes client "${config.clientId}" ${as}: it refused only the made-up test code${isListed ? '' : `, although token_endpoint_auth_methods_supported [${methods.join(', ')}] does not list "${method}"`}.`,
    );
  }
  if (probe.kind === 'client-refused') {
    const said = `${probe.error}${probe.description === undefined ? '' : ` ("${probe.description}")`}`;
    return check(
      'client-authentication',
      'fail',
      method === 'none'
        ? `The token endpoint refused client "${config.clientId}" without a secret (${said}): make it a native/public client with no client authentication, or, for a provider that insists on a secret for installed apps (Google), set OIDC_CLIENT_SECRET.`
        : `The token endpoint refused client "${config.clientId}" with its secret (${said}): check OIDC_CLIENT_SECRET and OIDC_CLIENT_AUTH_METHOD.`,
    );
  }
  if (!isListed) {
    return check(
      'client-authentication',
      'fail',
      `token_endpoint_auth_methods_supported is [${methods.join(', ')}], without "${method}", and a test code exchange did not show otherwise (${probe.reason}): the app could not redeem its code ${as}.${method === 'none' ? ' Use a native/public client, or set OIDC_CLIENT_SECRET where the provider insists on one.' : ''}`,
    );
  }
  return check(
    'client-authentication',
    'ok',
    `The provider lists "${method}" for client authentication; a test code exchange was inconclusive (${probe.reason}).`,
  );
}
