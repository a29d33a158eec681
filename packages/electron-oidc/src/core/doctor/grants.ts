import { notAdvertised } from './metadata.ts';
import type { ProviderMetadata } from './metadata.ts';
import { check } from './report.ts';
import type { DoctorCheck } from './report.ts';
import type { TokenAnswer } from './token-endpoint.ts';

/** RFC 8414 §2 defaults of lists a provider may leave out. */
const DEFAULT_GRANT_TYPES = ['authorization_code', 'implicit'] as const;
const DEFAULT_RESPONSE_MODES = ['query', 'fragment'] as const;

/** How to see, with a real user, whether the session outlives the access token: a later run restores it only by refreshing. */
const SEE_AT_SIGN_IN =
  'sign in once with "npm run cli -- login"; if "npm run cli -- status" in a later run still shows you signed in, refresh tokens work';

/**
 * The authorization code flow: `response_type=code`, the `authorization_code`
 * grant, the `query` response mode. The advertised lists are hints; the test
 * code exchange settles the grant (an `invalid_grant` shows the provider
 * looked for the code; `unsupported_grant_type` shows it has no such grant).
 */
export function checkCodeFlow(meta: ProviderMetadata, exchange: TokenAnswer | undefined): DoctorCheck {
  if (exchange?.kind === 'grant-type-unsupported') {
    return check(
      'code-flow',
      'fail',
      `The token endpoint answered the test code exchange with ${exchange.said}: it has no authorization code grant, the only one a desktop app may use (RFC 8252 §8.1, RFC 9700 §2.1.2).`,
    );
  }
  const grantHint = notAdvertised(meta, 'grant_types_supported', 'authorization_code', DEFAULT_GRANT_TYPES);
  const grantSettled = grantHint !== undefined && exchange?.kind === 'grant-refused';
  const hints = [
    notAdvertised(meta, 'response_types_supported', 'code'),
    grantSettled ? undefined : grantHint,
    notAdvertised(meta, 'response_modes_supported', 'query', DEFAULT_RESPONSE_MODES),
  ].filter((h) => h !== undefined);
  if (hints.length > 0) {
    return check(
      'code-flow',
      'warn',
      `${hints.join('; ')}. The app uses the authorization code flow only (response_type "code", the code in the query string: RFC 8252 §8.1); the authorization-request line shows whether the provider takes the request, and "npm run cli -- login" whether it completes.`,
    );
  }
  return check(
    'code-flow',
    'ok',
    `The authorization code flow is supported (response_type "code")${grantSettled ? `; ${grantHint}, but the token endpoint took the grant (it refused only the made-up code)` : ''}.`,
  );
}

/** A refused refresh: what the provider said, and what it means for the app. */
function refreshRefused(
  refresh: TokenAnswer & { kind: 'grant-type-unsupported' | 'client-refused' },
): DoctorCheck {
  return check(
    'refresh-tokens',
    'warn',
    refresh.kind === 'grant-type-unsupported'
      ? `The token endpoint answered a test refresh with ${refresh.said}: the provider has no refresh_token grant, so the app cannot renew tokens and users sign in again when the access token expires and at every launch.`
      : `The token endpoint refused the client a test refresh (${refresh.said}): unless the refresh_token grant is allowed for this client at the provider, users sign in again when the access token expires and at every launch.`,
  );
}

/**
 * Whether the app can renew tokens and restore the session at launch (RFC 6749
 * §6). A refresh with a made-up token is harmless and shows whether the grant
 * exists; whether refresh tokens are issued to this client shows only at sign-in.
 */
export function checkRefreshTokens(meta: ProviderMetadata, refresh: TokenAnswer | undefined): DoctorCheck {
  if (refresh?.kind === 'grant-type-unsupported' || refresh?.kind === 'client-refused') {
    return refreshRefused(refresh);
  }
  const hint = notAdvertised(meta, 'grant_types_supported', 'refresh_token', DEFAULT_GRANT_TYPES);
  if (hint === undefined) {
    return check(
      'refresh-tokens',
      'ok',
      `The refresh_token grant is supported${refresh?.kind === 'grant-refused' ? ' (a test refresh was refused only for its made-up token)' : ''}: the app renews tokens and restores the session at launch, given a refresh token (see offline-access).`,
    );
  }
  if (refresh?.kind === 'grant-refused') {
    return check(
      'refresh-tokens',
      'warn',
      `${hint}, but the token endpoint knows the grant: it refused a test refresh only for its made-up token (${refresh.said}). Whether it issues refresh tokens to this client cannot be seen without a user: ${SEE_AT_SIGN_IN}.`,
    );
  }
  const seen =
    refresh === undefined
      ? 'no test refresh was sent'
      : `a test refresh got ${refresh.kind === 'unreachable' ? refresh.reason : refresh.seen}`;
  return check(
    'refresh-tokens',
    'warn',
    `${hint}, and ${seen}: doctor cannot tell whether the provider renews sessions (several do without advertising it). To see: ${SEE_AT_SIGN_IN}.`,
  );
}
