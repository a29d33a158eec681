import { AUTH_ERROR_CODES } from '../core/errors.ts';

/** The failures the bridge itself and the API call add to the library's. */
export const BRIDGE_OWN_ERROR_CODES = Object.freeze([
  /** The call came from a frame that is not the app's own origin. */
  'ERR_SENDER_REFUSED',
  /** The call carried arguments the verb does not take. */
  'ERR_INVALID_ARGUMENTS',
  /** The API refused the access token (401) or its scope (403). */
  'ERR_API_REFUSED',
  /** The API could not be reached or failed (network error, 5xx, other status). */
  'ERR_API_UNAVAILABLE',
  /** The API answered something that is not the expected message. */
  'ERR_API_RESPONSE_INVALID',
  /** Anything else; the details are in the main process's log, not here. */
  'ERR_INTERNAL',
] as const);

/**
 * Every failure the bridge reports: the library's codes (`AUTH_ERROR_CODES`),
 * which pass through with their message, then the bridge's own. Derived, so a
 * code the library adds reaches the renderer without an edit here.
 */
export const BRIDGE_ERROR_CODES = Object.freeze([...AUTH_ERROR_CODES, ...BRIDGE_OWN_ERROR_CODES] as const);

export type BridgeErrorCode = (typeof BRIDGE_ERROR_CODES)[number];
