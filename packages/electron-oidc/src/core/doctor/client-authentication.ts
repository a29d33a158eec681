import type { AuthConfig } from '../config.ts';
import { notAdvertised } from './metadata.ts';
import type { ProviderMetadata } from './metadata.ts';
import { check } from './report.ts';
import type { DoctorCheck } from './report.ts';
import type { TokenAnswer } from './token-endpoint.ts';

/** What the user should make of a client the token endpoint refused, by how the app authenticates. */
function adviceForRefusal(config: AuthConfig, error: string): string {
  if (error === 'unauthorized_client') {
    return `allow the Authorization Code grant for client "${config.clientId}" (some providers, Keycloak among them, also answer unauthorized_client for a client whose authentication they refused: ${config.clientAuthMethod === 'none' ? 'make it a native/public client with no client authentication' : 'check OIDC_CLIENT_SECRET'})`;
  }
  return config.clientAuthMethod === 'none'
    ? 'make it a native/public client with no client authentication, or, for a provider that insists on a secret for installed apps (Google), set OIDC_CLIENT_SECRET'
    : 'check OIDC_CLIENT_SECRET and OIDC_CLIENT_AUTH_METHOD';
}

/**
 * Whether the token endpoint takes this client as configured: a public client
 * with no secret (RFC 8252 §8.4, `token_endpoint_auth_method` "none"), or with
 * the configured secret. The test code exchange decides it; the advertised
 * `token_endpoint_auth_methods_supported` is only a hint, because several
 * providers accept public clients without listing "none".
 */
export function checkClientAuthentication(
  config: AuthConfig,
  meta: ProviderMetadata,
  exchange: TokenAnswer,
): DoctorCheck {
  const method = config.clientAuthMethod;
  // RFC 8414 §2: when the list is absent, the default is client_secret_basic.
  const hint = notAdvertised(meta, 'token_endpoint_auth_methods_supported', method, ['client_secret_basic']);
  const client = `client "${config.clientId}"`;
  const as =
    method === 'none'
      ? 'without a client secret (a public native client, RFC 8252 §8.4)'
      : `with its client secret (${method})`;
  switch (exchange.kind) {
    case 'grant-refused':
      return check(
        'client-authentication',
        'ok',
        `The token endpoint takes ${client} ${as}: it refused only the made-up test code (${exchange.said})${hint === undefined ? '' : `; ${hint}, but this answer settles it`}.`,
      );
    case 'client-refused':
      return check(
        'client-authentication',
        'fail',
        `The token endpoint refused ${client} ${method === 'none' ? 'without a secret' : 'with its secret'} (${exchange.said}): ${adviceForRefusal(config, exchange.error)}.`,
      );
    case 'unreachable':
      return check(
        'client-authentication',
        'fail',
        `${exchange.reason}: the app could not redeem a code from this machine. Check token_endpoint, the network and any proxy (HTTPS_PROXY).`,
      );
    case 'grant-type-unsupported':
      return check(
        'client-authentication',
        'warn',
        `The token endpoint refused the authorization_code grant itself (${exchange.said}; see code-flow), so the test did not show whether it takes ${client} ${as}.`,
      );
    case 'undecided':
      return check(
        'client-authentication',
        'warn',
        `A test code exchange for ${client} ${as} got ${exchange.seen}: doctor cannot tell whether the provider takes the client${hint === undefined ? '' : ` (and ${hint})`}. Check that ${method === 'none' ? `${client} is registered as a native/public client with no client authentication ("none")` : 'OIDC_CLIENT_SECRET and OIDC_CLIENT_AUTH_METHOD match the client'}, or sign in once with "npm run cli -- login" to see.`,
      );
  }
}
