import type * as client from 'openid-client';
import type { DPoPMode } from '../config.ts';
import { AuthError } from '../errors.ts';
import { isDPoPAlgorithm } from './key.ts';

/** Preferred first: ES256 (the default of RFC 9449's examples and of every provider listing DPoP), then Ed25519. */
const PREFERRED = ['ES256', 'Ed25519', 'EdDSA'];

function unsupported(issuer: string, detail: string): AuthError {
  return new AuthError(
    'ERR_DPOP_UNSUPPORTED',
    `The sign-in provider ${issuer} ${detail}, and the configuration requires DPoP ("dpop": "required"). Turn DPoP on at the provider, or set "dpop" to "auto".`,
    { option: 'dpop' },
  );
}

/**
 * The JWS algorithm of the session's DPoP proofs at this provider, or
 * `undefined` for Bearer tokens: ES256 if listed, else Ed25519 (or its older
 * name EdDSA), else the first listed algorithm this library can make keys
 * for. With `required`, a provider that lists none (or none usable) is an
 * `ERR_DPOP_UNSUPPORTED`.
 */
export function dpopAlgorithm(mode: DPoPMode, metadata: client.ServerMetadata): string | undefined {
  if (mode === 'off') return undefined;
  const listed = metadata.dpop_signing_alg_values_supported;
  if (!Array.isArray(listed) || listed.length === 0) {
    if (mode === 'required')
      throw unsupported(
        metadata.issuer,
        'does not offer DPoP (its discovery lists no dpop_signing_alg_values_supported)',
      );
    return undefined;
  }
  const alg = PREFERRED.find((a) => listed.includes(a)) ?? listed.find((a) => isDPoPAlgorithm(a));
  if (alg === undefined && mode === 'required') {
    throw unsupported(
      metadata.issuer,
      `lists only DPoP algorithms this library does not use (${listed.join(', ')})`,
    );
  }
  return alg;
}

/**
 * Checks the `token_type` of a token response to a request that carried a
 * proof. RFC 9449 §5 lets a provider answer `Bearer` (its access token is then
 * not bound, though a public client's refresh token still is): accepted with
 * `auto`, whose promise is only "DPoP where the provider does it"; refused with
 * `required`, whose promise is that no unbound access token is used.
 * Returns whether the access token is DPoP-bound.
 */
export function isDPoPTokenType(tokenType: string, mode: DPoPMode, issuer: string): boolean {
  if (tokenType.toLowerCase() === 'dpop') return true;
  if (mode === 'required')
    throw unsupported(issuer, `answered a DPoP token request with a ${tokenType} token`);
  return false;
}
