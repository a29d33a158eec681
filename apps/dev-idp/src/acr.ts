/**
 * The authentication context classes this provider offers (OIDC Core §2 `acr`,
 * RFC 9470 step-up). A client asks for one with `acr_values` or an `acr` entry
 * in the `claims` parameter; the ID token and the API's access tokens say which
 * one the sign-in reached.
 */

/** The user typed their password. */
export const ACR_PASSWORD = 'urn:electron-oidc:acr:password';

/** The user typed their password and then a one-time code (a second factor). */
export const ACR_OTP = 'urn:electron-oidc:acr:otp';

/** Every `acr` this provider can reach, weakest first (its `acr_values_supported`). */
export const ACR_VALUES: readonly string[] = Object.freeze([ACR_PASSWORD, ACR_OTP]);
