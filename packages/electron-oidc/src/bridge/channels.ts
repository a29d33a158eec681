import type { BridgeVerb } from './contract.ts';

/**
 * The one list of IPC channels, shared by the main process (handlers) and the
 * preload (callers) so neither can drift. The prefix keeps them apart from any
 * other library's channels in the same app.
 */
export const BRIDGE_CHANNELS = Object.freeze({
  signIn: 'electron-oidc:sign-in',
  cancelSignIn: 'electron-oidc:cancel-sign-in',
  signOut: 'electron-oidc:sign-out',
  renewSession: 'electron-oidc:renew-session',
  getSessionState: 'electron-oidc:get-session-state',
  getProfile: 'electron-oidc:get-profile',
  getPrivateMessage: 'electron-oidc:get-private-message',
  getSensitiveMessage: 'electron-oidc:get-sensitive-message',
} as const satisfies Record<BridgeVerb, string>);

/** The one channel the main process pushes on: the session state, to the app's own windows only. */
export const SESSION_STATE_CHANNEL = 'electron-oidc:session-state';

/** The channel of a verb. */
export type BridgeChannel = (typeof BRIDGE_CHANNELS)[BridgeVerb];

/** The verbs, in a stable order. */
export const BRIDGE_VERBS: readonly BridgeVerb[] = Object.freeze(
  Object.keys(BRIDGE_CHANNELS) as BridgeVerb[],
);
