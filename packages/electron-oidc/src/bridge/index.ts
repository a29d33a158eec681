/**
 * `electron-oidc/bridge`: the contract between the main process and the
 * renderer, and the main-process handlers behind it. Runtime-agnostic (web
 * platform APIs only): it never imports `electron`, so it runs and is tested
 * in plain Node.
 */
// The contract is public as a whole: every name in it is what main and renderer share.
export * from './contract.ts';
export { BRIDGE_ERROR_CODES, BRIDGE_OWN_ERROR_CODES } from './error-codes.ts';
export { ACCOUNTS_CHANNEL, BRIDGE_CHANNELS, BRIDGE_VERBS, SESSION_STATE_CHANNEL } from './channels.ts';
export type { BridgeChannel } from './channels.ts';
export { createBridgeHandlers, cleanText } from './handlers.ts';
export type {
  BridgeAuth,
  BridgeAuthAccount,
  BridgeChannelHandlers,
  BridgeHandler,
  BridgeHandlerOptions,
  BridgeHandlers,
  BridgeLog,
} from './handlers.ts';
export { assertAppOrigin, isAppUrl, originOf } from './origin.ts';
export { BRIDGE_ARGUMENTS, accountIdArguments, noArguments, sensitiveMessageArguments } from './arguments.ts';
export type { ArgumentValidator } from './arguments.ts';
export {
  DEFAULT_PICTURE_MAX_BYTES,
  DEFAULT_PICTURE_MAX_REDIRECTS,
  DEFAULT_PICTURE_TIMEOUT_MS,
  PICTURE_TYPES,
  PictureRefusedError,
  fetchPictureAsDataUrl,
} from './picture.ts';
export type { PictureFetchOptions } from './picture.ts';
