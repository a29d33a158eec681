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
  listAccounts: 'electron-oidc:list-accounts',
  switchAccount: 'electron-oidc:switch-account',
  addAccount: 'electron-oidc:add-account',
  removeAccount: 'electron-oidc:remove-account',
} as const satisfies Record<BridgeVerb, string>);

/** The channel the main process pushes the session state on, to the app's own windows only. */
export const SESSION_STATE_CHANNEL = 'electron-oidc:session-state';

/** The channel the main process pushes the list of accounts on, to the app's own windows only. */
export const ACCOUNTS_CHANNEL = 'electron-oidc:accounts';

/** The channel of a verb. */
export type BridgeChannel = (typeof BRIDGE_CHANNELS)[BridgeVerb];

/** The verbs, in a stable order. */
export const BRIDGE_VERBS: readonly BridgeVerb[] = Object.freeze(
  Object.keys(BRIDGE_CHANNELS) as BridgeVerb[],
);
