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
 * A set of scopes that nothing can change: not `add`/`delete`/`clear` through a cast, nor
 * `Set.prototype.add.call` (it is no `Set`, and its storage is private). A verified token
 * is shared by every request with it (the token cache), so a handler that changed its
 * scopes would grant them to all of those requests.
 */
class ImmutableScopeSet implements ReadonlySet<string> {
  readonly #scopes: Set<string>;
  constructor(scopes: Iterable<string>) {
    this.#scopes = new Set(scopes);
    Object.freeze(this);
  }
  get size(): number {
    return this.#scopes.size;
  }
  has(scope: string): boolean {
    return this.#scopes.has(scope);
  }
  forEach(callback: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const scope of this.#scopes) callback.call(thisArg, scope, scope, this);
  }
  entries(): SetIterator<[string, string]> {
    return this.#scopes.entries();
  }
  keys(): SetIterator<string> {
    return this.#scopes.keys();
  }
  values(): SetIterator<string> {
    return this.#scopes.values();
  }
  [Symbol.iterator](): SetIterator<string> {
    return this.#scopes.values();
  }
}

/** `scopes` as a set that cannot be changed (the same object if it already is one). */
export function immutableScopes(scopes: Iterable<string>): ReadonlySet<string> {
  return scopes instanceof ImmutableScopeSet ? scopes : new ImmutableScopeSet(scopes);
}

/**
 * The scopes an access token grants, as a set that cannot be changed, read from:
 * - `scope`: a space-delimited string (RFC 9068 §2.2.3, RFC 8693 §4.2);
 * - `scp`: an array (Okta) or a space-delimited string (Microsoft Entra ID);
 * - `permissions`: an array (Auth0 with RBAC).
 * A claim of any other shape grants nothing.
 */
export function grantedScopes(claims: JWTPayload): ReadonlySet<string> {
  const scope = typeof claims.scope === 'string' ? splitScope(claims.scope) : [];
  return immutableScopes([...scope, ...stringsOf(claims.scp), ...stringsOf(claims.permissions)]);
}

/**
 * Checks that every required scope is granted.
 *
 * @throws {InsufficientScopeError} some required scope is missing (RFC 6750 §3.1).
 */
export function requireScopes(granted: ReadonlySet<string>, required: readonly string[]): void {
  for (const scope of required) if (!granted.has(scope)) throw new InsufficientScopeError(required);
}
