import { createHash } from 'node:crypto';

/**
 * One signed-in account as the index of accounts keeps it: who it is, and
 * what to show for it before its session is renewed (e.g. offline). Never a
 * token: each account's refresh token rests in its own vault entry.
 */
export interface AccountRecord {
  /** {@link accountId}: names the account's vault entry and the account to the app. */
  readonly id: string;
  readonly sub: string;
  readonly name?: string | undefined;
  readonly email?: string | undefined;
  /** An http(s) URL of the user's picture. */
  readonly picture?: string | undefined;
}

/** The accounts of one issuer and client, and which of them is active. */
export interface AccountIndex {
  readonly accounts: readonly AccountRecord[];
  /** The id of the account API calls and the profile use, if any. */
  readonly active: string | undefined;
}

export const EMPTY_INDEX: AccountIndex = Object.freeze({ accounts: Object.freeze([]), active: undefined });

/** The `type` member that tells an index from a stored session (which has none). */
const INDEX_TYPE = 'electron-oidc/accounts';
const INDEX_VERSION = 1;
const MAX_INDEX_LENGTH = 256 * 1024;

/**
 * The account id of `sub` at `issuer` (OIDC Core §2: the pair identifies a
 * user): 16 base64url characters of its SHA-256, so it can name a vault entry
 * and a file, and says nothing about the user.
 */
export function accountId(issuer: string, sub: string): string {
  return createHash('sha256').update(`${issuer} ${sub}`, 'utf8').digest('base64url').slice(0, 16);
}

/** Serializes the index for the vault as versioned JSON, bound to its issuer and client. */
export function encodeAccountIndex(
  index: AccountIndex,
  owner: { readonly issuer: string; readonly clientId: string },
): string {
  return JSON.stringify({
    type: INDEX_TYPE,
    v: INDEX_VERSION,
    iss: owner.issuer,
    client_id: owner.clientId,
    active: index.active,
    accounts: index.accounts.map(({ id, sub, name, email, picture }) => ({ id, sub, name, email, picture })),
  });
}

/** Whether a vault value is an account index (else it is a session stored before there were several accounts). */
export function isAccountIndex(raw: string): boolean {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === INDEX_TYPE;
  } catch {
    return false;
  }
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function decodeRecord(value: unknown, issuer: string): AccountRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, sub, name, email, picture } = value as Record<string, unknown>;
  if (typeof sub !== 'string' || sub === '' || id !== accountId(issuer, sub)) return undefined;
  return { id, sub, name: optionalText(name), email: optionalText(email), picture: optionalText(picture) };
}

/** The outcome of {@link decodeAccountIndex}; `problem` is safe to log. */
export type DecodedAccountIndex =
  { readonly ok: true; readonly index: AccountIndex } | { readonly ok: false; readonly problem: string };

/**
 * Parses an index and checks it belongs to this issuer and client. Never
 * throws; an account whose id does not match its `sub` is left out, and an
 * `active` naming no listed account is dropped.
 */
export function decodeAccountIndex(
  raw: string,
  owner: { readonly issuer: string; readonly clientId: string },
): DecodedAccountIndex {
  if (raw.length > MAX_INDEX_LENGTH) return { ok: false, problem: 'the index of accounts is too large' };
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return { ok: false, problem: 'the index of accounts is not JSON' };
  }
  if (value?.type !== INDEX_TYPE || value.v !== INDEX_VERSION || !Array.isArray(value.accounts)) {
    return {
      ok: false,
      problem: `the index of accounts has an unknown format (version ${String(value?.v)})`,
    };
  }
  if (value.iss !== owner.issuer || value.client_id !== owner.clientId) {
    return { ok: false, problem: 'the index of accounts belongs to another issuer or client' };
  }
  const accounts = value.accounts
    .map((record) => decodeRecord(record, owner.issuer))
    .filter((record): record is AccountRecord => record !== undefined);
  const active = accounts.some((record) => record.id === value.active) ? (value.active as string) : undefined;
  return { ok: true, index: { accounts, active } };
}
