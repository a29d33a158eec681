import type { BridgeSessionState } from './contract.ts';
import type { BridgeAuth, BridgeLog } from './handlers.ts';

/**
 * The session state as the bridge reports it, and its pushes to the renderer.
 * The library says `signing-in` both for the silent restore at launch and for
 * a sign-in the user started; the bridge tells them apart by counting the
 * sign-ins started through it.
 */
export interface SessionStateFeed {
  /** The state the renderer should show now. */
  current(): BridgeSessionState;
  /**
   * Calls `listener` whenever {@link SessionStateFeed.current} changes. The
   * library is followed only while someone listens. Returns the unsubscribe function.
   */
  subscribe(listener: (state: BridgeSessionState) => void): () => void;
  /**
   * Runs `signIn` as the user's own sign-in: while it is pending, `signing-in`
   * is not `restoring`. Resolves with what `signIn` resolved to.
   */
  asInteractive<T>(signIn: () => Promise<T>): Promise<T>;
  /**
   * Runs `switchTo` (making another account the active one): while it is
   * pending, the library's `signed-out` is `restoring`. The account switched
   * to reads `signed-out` until its silent sign-in starts, which would
   * otherwise flash the signed-out screen. Resolves with what `switchTo` resolved to.
   */
  asSwitch<T>(switchTo: () => Promise<T>): Promise<T>;
}

/** The library's state as the renderer may see it; anything unknown reads as signed out. */
function libraryState(state: unknown): Exclude<BridgeSessionState, 'restoring'> {
  return state === 'signing-in' || state === 'signed-in' || state === 'offline' ? state : 'signed-out';
}

export function createSessionStateFeed(
  auth: Pick<BridgeAuth, 'state' | 'onStateChange'>,
  log: BridgeLog,
): SessionStateFeed {
  // Sign-ins started through this bridge and not yet ended: while there is
  // none, the library's `signing-in` is the silent restore, not a wait for the user.
  let interactiveSignIns = 0;
  // Account switches under way: meanwhile `signed-out` is the chosen account before its restore.
  let switches = 0;
  const listeners = new Set<(state: BridgeSessionState) => void>();
  let lastPublished: BridgeSessionState | undefined;
  let stopFollowing: (() => void) | undefined;

  const current = (): BridgeSessionState => {
    const state = libraryState(auth.state);
    if (state === 'signed-out' && switches > 0) return 'restoring';
    return state === 'signing-in' && interactiveSignIns === 0 ? 'restoring' : state;
  };

  const publish = (): void => {
    const state = current();
    if (state === lastPublished) return;
    lastPublished = state;
    for (const listener of [...listeners]) {
      try {
        listener(state);
      } catch (err) {
        log('electron-oidc bridge: a session-state listener failed', err);
      }
    }
  };

  return {
    current,
    subscribe(listener) {
      if (listeners.size === 0) {
        lastPublished = current();
        stopFollowing = auth.onStateChange(publish);
      }
      listeners.add(listener);
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return;
        stopFollowing?.();
        stopFollowing = undefined;
      };
    },
    async asInteractive(signIn) {
      interactiveSignIns++;
      try {
        // The library joins a sign-in already pending; this one is now the user's.
        const pending = signIn();
        publish();
        return await pending;
      } finally {
        interactiveSignIns--;
        publish();
      }
    },
    async asSwitch(switchTo) {
      switches++;
      try {
        return await switchTo();
      } finally {
        switches--;
        publish();
      }
    },
  };
}
