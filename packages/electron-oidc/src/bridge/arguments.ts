import { isBridgeAccountId } from './contract.ts';
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

/**
 * Accepts no argument, or exactly one `{ allowStepUp: boolean }` of plain
 * data: an ordinary object with that one own key, a boolean value and no getter.
 */
export const sensitiveMessageArguments: ArgumentValidator = (args) => {
  if (noArguments(args)) return true;
  if (!Array.isArray(args) || args.length !== 1) return false;
  const [options] = args as unknown[];
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return false;
  const prototype = Object.getPrototypeOf(options) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return false;
  const keys = Reflect.ownKeys(options);
  if (keys.length !== 1 || keys[0] !== 'allowStepUp') return false;
  const descriptor = Object.getOwnPropertyDescriptor(options, 'allowStepUp');
  return descriptor !== undefined && 'value' in descriptor && typeof descriptor.value === 'boolean';
};

/**
 * Accepts exactly one account id: a primitive string of 1 to 64 base64url
 * characters (`isBridgeAccountId`). Whether it names a listed account is the
 * handler's check; objects, numbers, `String` objects, `__proto__`-like keys
 * of other alphabets and long strings stop here.
 */
export const accountIdArguments: ArgumentValidator = (args) =>
  Array.isArray(args) && args.length === 1 && isBridgeAccountId(args[0]);

/**
 * What each verb accepts. None takes an argument but `getSensitiveMessage`'s
 * one flag and the account verbs' one id.
 */
export const BRIDGE_ARGUMENTS: Readonly<Record<BridgeVerb, ArgumentValidator>> = Object.freeze({
  signIn: noArguments,
  cancelSignIn: noArguments,
  signOut: noArguments,
  renewSession: noArguments,
  getSessionState: noArguments,
  getProfile: noArguments,
  getPrivateMessage: noArguments,
  getSensitiveMessage: sensitiveMessageArguments,
  listAccounts: noArguments,
  switchAccount: accountIdArguments,
  addAccount: noArguments,
  removeAccount: accountIdArguments,
});
