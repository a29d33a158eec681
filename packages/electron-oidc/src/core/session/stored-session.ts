import type { StoredDPoPKey } from '../dpop/key.ts';

/**
 * What the vault holds between launches: the refresh token, bound to the
 * issuer, the client and the user it was issued for. Binding them means a
 * changed configuration (another provider or client) never replays a token
 * where it does not belong (RFC 9700 §4.14).
 */
export interface StoredSession {
  readonly issuer: string;
  readonly clientId: string;
  readonly sub: string;
  readonly refreshToken: string;
  /**
   * An opaque value another part of the library keeps with the refresh token
   * (`VaultEntryBinding`): today the SHA-256 of the provider's discovery
   * document kept beside the vault (`ProviderCacheStore`), so the vault
   * vouches for that file, which other programs could otherwise rewrite to
   * send the refresh token elsewhere. Written as `provider_cache_sha256`, the
   * name version 1 entries already carry.
   */
  readonly binding?: string | undefined;
  /**
   * The DPoP key the refresh token is bound to (RFC 9449 §5: a public
   * client's refresh token is), for a DPoP-bound session; absent for a Bearer
   * session. An entry with a key is written as version 2, so a library that
   * knows nothing of DPoP ignores it rather than refreshing without the key.
   */
  readonly dpop?: StoredDPoPKey | undefined;
}

/**
 * Why a stored entry was not used. `dpop-key-missing`: a version 2 (DPoP-bound)
 * entry without a usable key; never read as a Bearer session instead.
 */
export type StoredSessionProblem = 'corrupt' | 'unsupported-version' | 'foreign' | 'dpop-key-missing';

/** The outcome of {@link decodeStoredSession}. */
export type DecodedStoredSession =
  | { readonly ok: true; readonly session: StoredSession }
  | { readonly ok: false; readonly problem: StoredSessionProblem; readonly detail: string };

/** The format version of a Bearer session's entry (unchanged since the first release). */
export const STORED_SESSION_VERSION = 1;

/** The format version of a DPoP-bound session's entry: version 1 plus `dpop`. */
export const STORED_DPOP_SESSION_VERSION = 2;

/** Serializes a session for the vault as versioned JSON. */
export function encodeStoredSession(session: StoredSession): string {
  return JSON.stringify({
    v: session.dpop === undefined ? STORED_SESSION_VERSION : STORED_DPOP_SESSION_VERSION,
    iss: session.issuer,
    client_id: session.clientId,
    sub: session.sub,
    refresh_token: session.refreshToken,
    ...(session.binding === undefined ? {} : { provider_cache_sha256: session.binding }),
    ...(session.dpop === undefined
      ? {}
      : { dpop: { alg: session.dpop.alg, jkt: session.dpop.jkt, jwk: session.dpop.jwk } }),
  });
}

const MAX_ENTRY_LENGTH = 64 * 1024;

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `dpop` member's shape (its key is checked against `jkt` when imported: `DPoPKey.restore`). */
function decodeDPoPKey(value: unknown): StoredDPoPKey | undefined {
  if (!isObject(value)) return undefined;
  const { alg, jkt, jwk } = value;
  if (!nonEmpty(alg) || !nonEmpty(jkt) || !isObject(jwk) || !nonEmpty(jwk.d)) return undefined;
  return { alg, jkt, jwk: jwk as StoredDPoPKey['jwk'] };
}

/**
 * Parses a vault entry and checks it belongs to this issuer and client. Never
 * throws: a corrupt or foreign entry is reported, and the caller treats it as
 * "signed out". The detail is safe to log (it never contains the token).
 */
export function decodeStoredSession(
  raw: string,
  expected: { readonly issuer: string; readonly clientId: string },
): DecodedStoredSession {
  if (raw.length > MAX_ENTRY_LENGTH)
    return { ok: false, problem: 'corrupt', detail: 'the entry is too large' };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, problem: 'corrupt', detail: 'the entry is not JSON' };
  }
  if (!isObject(value)) {
    return { ok: false, problem: 'corrupt', detail: 'the entry is not a JSON object' };
  }
  const entry = value;
  if (entry.v !== STORED_SESSION_VERSION && entry.v !== STORED_DPOP_SESSION_VERSION) {
    return {
      ok: false,
      problem: 'unsupported-version',
      detail: `the entry has format version ${JSON.stringify(entry.v) ?? 'none'}, this library reads versions ${STORED_SESSION_VERSION} and ${STORED_DPOP_SESSION_VERSION}`,
    };
  }
  // A DPoP-bound entry without its key is refused, never read as a Bearer session (RFC 9449 §5).
  const dpop = entry.v === STORED_DPOP_SESSION_VERSION ? decodeDPoPKey(entry.dpop) : undefined;
  if (entry.v === STORED_DPOP_SESSION_VERSION && dpop === undefined) {
    return { ok: false, problem: 'dpop-key-missing', detail: 'the DPoP-bound entry lacks its DPoP key' };
  }
  if (entry.v === STORED_SESSION_VERSION && entry.dpop !== undefined) {
    return { ok: false, problem: 'corrupt', detail: 'a version 1 (Bearer) entry carries a DPoP key' };
  }
  const {
    iss,
    client_id: clientId,
    sub,
    refresh_token: refreshToken,
    provider_cache_sha256: binding,
  } = entry;
  if (!nonEmpty(iss) || !nonEmpty(clientId) || !nonEmpty(sub) || !nonEmpty(refreshToken)) {
    return { ok: false, problem: 'corrupt', detail: 'the entry lacks iss, client_id, sub or refresh_token' };
  }
  if (iss !== expected.issuer || clientId !== expected.clientId) {
    return {
      ok: false,
      problem: 'foreign',
      detail: `the entry belongs to issuer ${iss} and client ${clientId}, not to issuer ${expected.issuer} and client ${expected.clientId}`,
    };
  }
  return {
    ok: true,
    session: {
      issuer: iss,
      clientId,
      sub,
      refreshToken,
      // Optional; an unusable value only means its owner finds nothing to trust.
      ...(nonEmpty(binding) ? { binding } : {}),
      ...(dpop === undefined ? {} : { dpop }),
    },
  };
}
