import type { BridgeVerb } from './contract.ts';

/**
 * Checks what a call carried. Arguments come from the renderer, which the
 * main process does not trust (Electron security checklist 17: validate the
 * sender and the content of every IPC message), so each verb names what it
 * accepts and everything else is refused before the verb runs.
 */
export type ArgumentValidator = (args: unknown) => boolean;

/** Accepts a call with no argument at all; `[undefined]` is an argument too. */
export const noArguments: ArgumentValidator = (args) => Array.isArray(args) && args.length === 0;

/** What each verb accepts. None takes an argument. */
export const BRIDGE_ARGUMENTS: Readonly<Record<BridgeVerb, ArgumentValidator>> = Object.freeze({
  signIn: noArguments,
  cancelSignIn: noArguments,
  signOut: noArguments,
  renewSession: noArguments,
  getSessionState: noArguments,
  getProfile: noArguments,
  getPrivateMessage: noArguments,
});
