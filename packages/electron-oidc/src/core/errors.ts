/**
 * Every failure the library reports is an {@link AuthError} whose `code` comes
 * from this closed set, so callers can `switch (err.code)` and TypeScript
 * narrows. `message` is written for the person in front of the app.
 */
export type AuthErrorCode =
  /** The configuration is wrong; the message names the option. */
  | 'ERR_CONFIG'
  /** No keychain answered, or it refused a read or a write. */
  | 'ERR_VAULT_UNAVAILABLE';

export class AuthError extends Error {
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthError';
    this.code = code;
  }
}
