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
 * {@link AuthBridge.getSensitiveMessage}'s one flag.
 */
export interface AuthBridge {
  /** Opens the system browser to sign in; resolves when the sign-in ends (signed in, cancelled, failed). */
  signIn(): Promise<BridgeResult<null>>;
  /** Abandons a pending sign-in. */
  cancelSignIn(): Promise<BridgeResult<null>>;
  /** Signs out here and at the provider. */
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
}

/** The verbs that are calls (request, answer); `onSessionState` is a subscription. */
export type BridgeVerb = Exclude<keyof AuthBridge, 'onSessionState'>;

/** What a verb resolves to. */
export type BridgeAnswer<V extends BridgeVerb> = Awaited<ReturnType<AuthBridge[V]>>;
