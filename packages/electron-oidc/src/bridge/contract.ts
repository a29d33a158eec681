import type { BridgeErrorCode } from './error-codes.ts';

export type { BridgeErrorCode } from './error-codes.ts';

/**
 * The contract between the main process and the renderer: what `window.auth`
 * offers and what each verb answers. Everything here crosses a process
 * boundary by structured clone, so it is plain data: no class instances, no
 * functions (except the unsubscribe the preload hands back), and never a token.
 */

/** The name under which the preload exposes the bridge: `window.auth`. */
export const AUTH_BRIDGE_KEY = 'auth';

/**
 * Where the session stands, as the UI shows it: the library's `SessionState`
 * with one state told apart. `restoring` is the silent sign-in from the stored
 * session at launch (nothing for the user to do), `signing-in` is a sign-in
 * the user started and must finish in the browser.
 */
export type BridgeSessionState = 'signed-out' | 'restoring' | 'signing-in' | 'signed-in' | 'offline';

export const BRIDGE_SESSION_STATES: readonly BridgeSessionState[] = Object.freeze([
  'signed-out',
  'restoring',
  'signing-in',
  'signed-in',
  'offline',
]);

export function isBridgeSessionState(value: unknown): value is BridgeSessionState {
  return typeof value === 'string' && (BRIDGE_SESSION_STATES as readonly string[]).includes(value);
}

/**
 * The profile the renderer may see: a small sanitized object, not the raw
 * claims (no `sub`, no token). `picture` is a `data:image/…` URL fetched by the
 * main process, so the renderer's CSP names no remote origin.
 */
export interface BridgeProfile {
  readonly name: string | null;
  readonly email: string | null;
  readonly picture: string | null;
}

/**
 * An account's own state, as the account switcher shows it: the session
 * states but `signing-in`, since an account is only ever renewed silently
 * (`restoring`); the user's own sign-in is the session's state, not an
 * account's. `signed-out`: listed, with a session kept on this device that is
 * not signed in in this run (switching to it signs it in silently if the
 * provider still accepts it).
 */
export type BridgeAccountState = Exclude<BridgeSessionState, 'signing-in'>;

export const BRIDGE_ACCOUNT_STATES: readonly BridgeAccountState[] = Object.freeze([
  'signed-out',
  'restoring',
  'signed-in',
  'offline',
]);

/**
 * How an account id looks to the bridge: 1 to 64 characters of the base64url
 * alphabet (the library's ids are 16). Checked before anything else is done
 * with an id the renderer sent.
 */
export const BRIDGE_ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `value` is a string shaped like an account id ({@link BRIDGE_ACCOUNT_ID_PATTERN}). */
export function isBridgeAccountId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 64 && BRIDGE_ACCOUNT_ID_PATTERN.test(value);
}

/**
 * One account signed in on this device, as the renderer may see it: what the
 * switcher shows and the id to name it by. Never a token, never the `sub`
 * (the id is a digest of issuer and subject that says nothing about the user).
 */
export interface BridgeAccount {
  /** Pass it to {@link AuthBridge.switchAccount} and {@link AuthBridge.removeAccount}. */
  readonly id: string;
  readonly name: string | null;
  readonly email: string | null;
  /** A `data:image/…` URL fetched by the main process, like {@link BridgeProfile.picture}. */
  readonly picture: string | null;
  /** Whether API calls and the profile are this account's. */
  readonly active: boolean;
  readonly state: BridgeAccountState;
}

function isTextOrNull(value: unknown): boolean {
  return value === null || typeof value === 'string';
}

/**
 * Whether `value` is a list of {@link BridgeAccount}s of plain data: what the
 * preload checks before a pushed list reaches the page.
 */
export function isBridgeAccountList(value: unknown): value is BridgeAccount[] {
  if (!Array.isArray(value)) return false;
  return value.every((account: unknown) => {
    if (typeof account !== 'object' || account === null) return false;
    const a = account as Record<string, unknown>;
    return (
      isBridgeAccountId(a.id) &&
      isTextOrNull(a.name) &&
      isTextOrNull(a.email) &&
      (a.picture === null || (typeof a.picture === 'string' && a.picture.startsWith('data:image/'))) &&
      typeof a.active === 'boolean' &&
      (BRIDGE_ACCOUNT_STATES as readonly unknown[]).includes(a.state)
    );
  });
}

/** What the API's protected endpoint said. */
export interface PrivateMessage {
  readonly message: string;
}

/** The one argument {@link AuthBridge.getSensitiveMessage} takes. */
export interface SensitiveMessageOptions {
  /**
   * When the API asks for a stronger or more recent sign-in (RFC 9470): `true`
   * signs the user in again in the system browser and retries once; otherwise
   * (the default) the call fails with `ERR_STEP_UP_REQUIRED`, so the app can ask first.
   */
  readonly allowStepUp?: boolean;
}

/** An error as it crosses the bridge: a code to branch on and a message to show. */
export interface BridgeError {
  readonly code: BridgeErrorCode;
  readonly message: string;
}

/**
 * Every verb resolves to a result instead of rejecting: Electron flattens a
 * rejected `invoke` into a string ("Error invoking remote method …"), which
 * would lose the code the UI branches on.
 */
export type BridgeResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: BridgeError };

/**
 * What the renderer sees as `window.auth`. No verb takes an argument but
 * {@link AuthBridge.getSensitiveMessage}'s one flag and the account id of
 * {@link AuthBridge.switchAccount} and {@link AuthBridge.removeAccount}.
 */
export interface AuthBridge {
  /** Opens the system browser to sign in; resolves when the sign-in ends (signed in, cancelled, failed). */
  signIn(): Promise<BridgeResult<null>>;
  /** Abandons a pending sign-in. */
  cancelSignIn(): Promise<BridgeResult<null>>;
  /** Signs out of the active account, here and at the provider; another account, if any, becomes active. */
  signOut(): Promise<BridgeResult<null>>;
  /**
   * While offline: tries to renew the session now rather than at the next
   * automatic attempt. The new state arrives through {@link AuthBridge.onSessionState}.
   */
  renewSession(): Promise<BridgeResult<null>>;
  /** The current session state (then follow it with {@link AuthBridge.onSessionState}). */
  getSessionState(): Promise<BridgeResult<BridgeSessionState>>;
  /** The signed-in user's sanitized profile. */
  getProfile(): Promise<BridgeResult<BridgeProfile>>;
  /** Calls the API's protected endpoint on the user's behalf (the token stays in the main process). */
  getPrivateMessage(): Promise<BridgeResult<PrivateMessage>>;
  /**
   * Calls the API's sensitive endpoint, which wants a strong and recent
   * sign-in. Fails with `ERR_STEP_UP_REQUIRED` ("a stronger sign-in is
   * needed") unless `allowStepUp`; what the API asked for stays in the main process.
   */
  getSensitiveMessage(options?: SensitiveMessageOptions): Promise<BridgeResult<PrivateMessage>>;
  /** Calls `listener` on every state change; returns the function that stops it. */
  onSessionState(listener: (state: BridgeSessionState) => void): () => void;
  /**
   * The accounts signed in on this device, in the order first signed in, the
   * active one marked (then follow them with {@link AuthBridge.onAccounts}).
   */
  listAccounts(): Promise<BridgeResult<BridgeAccount[]>>;
  /**
   * Makes a listed account the active one (API calls, profile), signing it in
   * silently if it is not yet. An id that is not listed fails with
   * `ERR_UNKNOWN_ACCOUNT`; anything but an id, with `ERR_INVALID_ARGUMENTS`.
   */
  switchAccount(id: string): Promise<BridgeResult<null>>;
  /**
   * Signs in another account in the system browser, where the provider asks
   * which account (or for a password) rather than reusing its session; the
   * new account becomes the active one. Resolves when the sign-in ends.
   */
  addAccount(): Promise<BridgeResult<null>>;
  /**
   * Signs out of one listed account, here and at the provider, as
   * {@link AuthBridge.signOut} does for the active one; the others stay signed in.
   */
  removeAccount(id: string): Promise<BridgeResult<null>>;
  /** Calls `listener` with the whole list whenever it changes; returns the function that stops it. */
  onAccounts(listener: (accounts: BridgeAccount[]) => void): () => void;
}

/** The verbs that are calls (request, answer); `onSessionState` and `onAccounts` are subscriptions. */
export type BridgeVerb = Exclude<keyof AuthBridge, 'onSessionState' | 'onAccounts'>;

/** What a verb resolves to. */
export type BridgeAnswer<V extends BridgeVerb> = Awaited<ReturnType<AuthBridge[V]>>;
