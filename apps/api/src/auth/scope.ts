import type { JWTPayload } from 'jose';
import { InsufficientScopeError } from './errors.ts';

/** Splits a space-delimited scope string (RFC 6749 §3.3), ignoring repeated spaces. */
function splitScope(value: string): string[] {
  return value.split(' ').filter((scope) => scope !== '');
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return splitScope(value);
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/**
 * The scopes an access token grants, read from:
 * - `scope`: a space-delimited string (RFC 9068 §2.2.3, RFC 8693 §4.2);
 * - `scp`: an array (Okta) or a space-delimited string (Microsoft Entra ID);
 * - `permissions`: an array (Auth0 with RBAC).
 * A claim of any other shape grants nothing.
 */
export function grantedScopes(claims: JWTPayload): ReadonlySet<string> {
  const scope = typeof claims.scope === 'string' ? splitScope(claims.scope) : [];
  return new Set([...scope, ...stringsOf(claims.scp), ...stringsOf(claims.permissions)]);
}

/**
 * Checks that every required scope is granted.
 *
 * @throws {InsufficientScopeError} some required scope is missing (RFC 6750 §3.1).
 */
export function requireScopes(granted: ReadonlySet<string>, required: readonly string[]): void {
  if (!required.every((scope) => granted.has(scope))) throw new InsufficientScopeError(required);
}
