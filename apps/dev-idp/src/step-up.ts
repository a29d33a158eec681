import { ACR_OTP } from './acr.ts';

/** The parts of an authorization request that can ask for an authentication context. */
export interface AcrRequest {
  acr_values?: unknown;
  claims?: unknown;
}

/**
 * Whether the request asks for {@link ACR_OTP}: in `acr_values` (OIDC Core
 * §3.1.2.1) or as a value of the `acr` claim requested in the `claims`
 * parameter (§5.5.1.1), for the ID token or userinfo.
 */
export function asksForOneTimeCode({ acr_values, claims }: AcrRequest): boolean {
  if (typeof acr_values === 'string' && acr_values.split(' ').includes(ACR_OTP)) return true;
  return requestedAcrClaims(claims).some(
    (acr) => acr.value === ACR_OTP || (Array.isArray(acr.values) && acr.values.includes(ACR_OTP)),
  );
}

interface AcrClaimRequest {
  value?: unknown;
  values?: unknown;
}

function requestedAcrClaims(claims: unknown): AcrClaimRequest[] {
  let parsed: unknown = claims;
  if (typeof claims === 'string') {
    try {
      parsed = JSON.parse(claims);
    } catch {
      // oidc-provider refuses a malformed claims parameter before any interaction.
      return [];
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const { id_token: idToken, userinfo } = parsed as Record<string, unknown>;
  return [idToken, userinfo]
    .map((member) =>
      typeof member === 'object' && member !== null ? (member as { acr?: unknown }).acr : undefined,
    )
    .filter((acr): acr is AcrClaimRequest => typeof acr === 'object' && acr !== null);
}
