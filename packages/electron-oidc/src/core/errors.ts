import type { StepUpRequirement } from './step-up.ts';

/**
 * Every code an {@link AuthError} may carry, as a list a program can read
 * (the bridge derives its own list from it, so a new code reaches the
 * renderer without a second edit).
 */
export const AUTH_ERROR_CODES = Object.freeze([
  /** The configuration is wrong; the message names the option. */
  'ERR_CONFIG',
  /** No keychain answered, or it refused a read or a write. */
  'ERR_VAULT_UNAVAILABLE',
  /** The configured redirect port is taken by another program. */
  'ERR_REDIRECT_PORT_IN_USE',
  /** The system browser could not be opened. */
  'ERR_BROWSER_OPEN_FAILED',
  /** The sign-in was cancelled by the app or the user. */
  'ERR_SIGN_IN_CANCELLED',
  /** The browser did not come back before the sign-in timeout. */
  'ERR_SIGN_IN_TIMEOUT',
  /** The user (or the provider on their behalf) declined: `access_denied` and kin. */
  'ERR_PROVIDER_DENIED',
  /** The provider answered with another OAuth error; `oauthError` holds it. */
  'ERR_PROVIDER_ERROR',
  /** The provider could not be reached (network down, provider down, timeout). */
  'ERR_PROVIDER_UNREACHABLE',
  /** A provider response broke the protocol (wrong `iss`, malformed answer): possibly an attack. */
  'ERR_RESPONSE_INVALID',
  /** The ID token failed verification (signature, `iss`, `aud`, `nonce`, expiry). */
  'ERR_ID_TOKEN_INVALID',
  /** A refreshed ID token names another user than the session's. */
  'ERR_SUBJECT_CHANGED',
  /** No one is signed in. */
  'ERR_NOT_SIGNED_IN',
  /** The provider no longer honours the session (`invalid_grant`); the user must sign in again. */
  'ERR_SESSION_EXPIRED',
  /** The session is kept but no fresh access token can be had while the provider is unreachable. */
  'ERR_OFFLINE',
  /** A request was aimed at another origin than the configured API; the token was not sent. */
  'ERR_API_ORIGIN_REFUSED',
  /** `dpop` is `required` but the provider does not offer DPoP (RFC 9449) or answered without it. */
  'ERR_DPOP_UNSUPPORTED',
  /**
   * The API wants a stronger or more recent sign-in (RFC 9470 `insufficient_user_authentication`);
   * `stepUp` says what to request. Pass it to `auth.stepUp()`, then call the API again.
   */
  'ERR_STEP_UP_REQUIRED',
  /** No signed-in account matches what was asked for (an id, an email or a subject), or several do. */
  'ERR_UNKNOWN_ACCOUNT',
] as const);

/**
 * Every failure the library reports is an {@link AuthError} whose `code` comes
 * from this closed set ({@link AUTH_ERROR_CODES}), so callers can
 * `switch (err.code)` and TypeScript narrows. `message` is written for the
 * person in front of the app.
 */
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

/** Details some errors carry, for logs and for callers that branch on them. */
export interface AuthErrorDetails {
  /** The OAuth `error` value the provider sent (RFC 6749 §4.1.2.1, §5.2). */
  oauthError?: string;
  /** The provider's `error_description`, as sent (untrusted text: escape before rendering). */
  oauthErrorDescription?: string;
  /** The configuration option at fault (for `ERR_CONFIG`, `ERR_REDIRECT_PORT_IN_USE`, `ERR_DPOP_UNSUPPORTED`). */
  option?: string;
  /** What a new sign-in must request (for `ERR_STEP_UP_REQUIRED`); for the main process only. */
  stepUp?: StepUpRequirement;
}

/**
 * The one error type of the library.
 *
 * @example
 * ```ts
 * try {
 *   await auth.signIn();
 * } catch (err) {
 *   if (err instanceof AuthError && err.code === 'ERR_PROVIDER_DENIED') showNotice(err.message);
 *   else throw err;
 * }
 * ```
 */
export class AuthError extends Error {
  readonly code: AuthErrorCode;
  readonly oauthError: string | undefined;
  readonly oauthErrorDescription: string | undefined;
  readonly option: string | undefined;
  readonly stepUp: StepUpRequirement | undefined;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown } & AuthErrorDetails) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.code = code;
    this.oauthError = options?.oauthError;
    this.oauthErrorDescription = options?.oauthErrorDescription;
    this.option = options?.option;
    this.stepUp = options?.stepUp;
  }
}

/** Whether `err` is an {@link AuthError}, optionally of one of the given codes. */
export function isAuthError(err: unknown, ...codes: AuthErrorCode[]): err is AuthError {
  return err instanceof AuthError && (codes.length === 0 || codes.includes(err.code));
}
