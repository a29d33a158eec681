import type { Logger } from '../logger.ts';

/**
 * The `error` values an authorization response may carry and the user may
 * see: RFC 6749 §4.1.2.1, OIDC Core 1.0 §3.1.2.6, and RFC 8707 §2
 * (`invalid_target`, as the library sends `resource`).
 */
export const REGISTERED_AUTHORIZATION_ERRORS: ReadonlySet<string> = new Set([
  // RFC 6749 §4.1.2.1
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  // OIDC Core 1.0 §3.1.2.6
  'interaction_required',
  'login_required',
  'account_selection_required',
  'consent_required',
  'invalid_request_uri',
  'invalid_request_object',
  'request_not_supported',
  'request_uri_not_supported',
  'registration_not_supported',
  // RFC 8707 §2
  'invalid_target',
]);

/**
 * What an unregistered `error` becomes: RFC 6749 §4.1.2.1's "unexpected
 * condition" code, so the user reads nothing the sender wrote.
 */
export const UNREGISTERED_ERROR = 'server_error';

/**
 * Reduces the error part of a callback to what may reach the user. Anyone who
 * reads the `state` from a launcher's command line can send the callback
 * (DESIGN "The loopback listener and the machine's other users"), so its text
 * is the sender's, not the provider's: `error` is kept only when it is a
 * registered code (else {@link UNREGISTERED_ERROR}), and `error_description`
 * and `error_uri` (RFC 6749 §4.1.2.1, free text and a link) are dropped before
 * openid-client sees them; they are not logged either (the CLI's log is the
 * user's terminal). A callback without `error` is returned as is.
 */
export function withRegisteredErrorOnly(callback: URL, logger: Logger): URL {
  const params = callback.searchParams;
  if (!params.has('error') && !params.has('error_description') && !params.has('error_uri')) return callback;
  const url = new URL(callback.href);
  const sent = params.getAll('error');
  if (sent.length > 0) {
    const known = sent.length === 1 && REGISTERED_AUTHORIZATION_ERRORS.has(sent[0]!);
    if (!known) {
      logger.warn(
        `The sign-in answer carried an error code that is not a registered OAuth error; it is reported as ${UNREGISTERED_ERROR}.`,
      );
    }
    url.searchParams.set('error', known ? sent[0]! : UNREGISTERED_ERROR);
  }
  url.searchParams.delete('error_description');
  url.searchParams.delete('error_uri');
  return url;
}
