/**
 * What the fault drills share: the library wired to the local stack
 * (packages/electron-oidc/test/support/local-stack.ts) signing alice in through
 * a real Chromium, and wrappers that make a vault or the network fail, refuse
 * or never answer at a chosen step.
 */
import { createHash, randomUUID } from 'node:crypto';
import { finishInteraction, recordingLogger } from '@electron-oidc/test-support';
import { importJWK, SignJWT } from 'jose';
import type { JWK } from 'jose';
import { createDesktopAuth } from 'electron-oidc';
import type { DesktopAuth, DesktopAuthOptions, FetchLike, Profile, Vault } from 'electron-oidc';
import type { Page } from 'playwright-core';
import type { LocalStack } from '@electron-oidc/test-support/local-stack';

export const alice = { username: 'alice', password: 'wonderland' };

/** A promise that never settles: "the process died here". */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

/** How a vault operation misbehaves: refuses (rejects), hangs (the process died in it), or lands then hangs. */
export type VaultFault = 'throw' | 'hang' | 'land-then-hang';

/**
 * Wraps a vault so that reads, writes or clears start failing on demand. Where
 * the wrapped vault has entries (`Vault.entry`: the keychain, where the
 * library keeps an index of accounts in the vault's own entry and each
 * account's session in an entry of its own), so does the wrapper: its entries
 * share its `faults` and `calls`, so a fault hits the session as it does the
 * index, as a keychain that refuses refuses every entry.
 */
export class FaultyVault implements Vault {
  readonly kind: string;
  readonly persistent: boolean;
  readonly inner: Vault;
  faults: { read?: VaultFault; write?: VaultFault; clear?: VaultFault } = {};
  readonly calls: string[] = [];
  readonly entry?: (name: string) => FaultyVault;
  readonly exclusive?: <T>(work: () => Promise<T>) => Promise<T>;

  constructor(inner: Vault, parent?: FaultyVault) {
    this.inner = inner;
    this.kind = inner.kind;
    this.persistent = inner.persistent;
    if (parent !== undefined) {
      this.faults = parent.faults;
      this.calls = parent.calls;
    }
    if (inner.entry !== undefined) this.entry = (name) => new FaultyVault(inner.entry!(name), this);
    if (inner.exclusive !== undefined) {
      this.exclusive = <T>(work: () => Promise<T>): Promise<T> => inner.exclusive!(work);
    }
  }

  async read(): Promise<string | undefined> {
    this.calls.push('read');
    await this.#fault('read', false);
    const value = await this.inner.read();
    await this.#fault('read', true);
    return value;
  }

  async write(value: string): Promise<void> {
    this.calls.push('write');
    await this.#fault('write', false);
    await this.inner.write(value);
    await this.#fault('write', true);
  }

  async clear(): Promise<void> {
    this.calls.push('clear');
    await this.#fault('clear', false);
    await this.inner.clear();
    await this.#fault('clear', true);
  }

  async #fault(operation: 'read' | 'write' | 'clear', landed: boolean): Promise<void> {
    const fault = this.faults[operation];
    if (fault === undefined) return;
    if (!landed && fault === 'throw') throw new Error(`test: the keychain refused to ${operation}`);
    if (!landed && fault === 'hang') return never();
    if (landed && fault === 'land-then-hang') return never();
  }
}

/** The library's index of accounts, as it rests in a vault's own entry where the vault has entries. */
export interface StoredIndex {
  active?: string;
  accounts: Array<{ id: string; sub: string }>;
}

/** The index of accounts in `vault`'s own entry, or `undefined` when the entry is empty. */
export async function storedIndex(vault: Vault): Promise<StoredIndex | undefined> {
  const raw = await vault.read();
  if (raw === undefined) return undefined;
  const index = JSON.parse(raw) as StoredIndex & { type?: string };
  if (index.type !== 'electron-oidc/accounts') throw new Error('the entry holds no index of accounts');
  return index;
}

/**
 * The entry of `vault` that holds the active account's session
 * (`vault.entry(<account id>)`, the index naming the active one).
 */
export async function activeSessionEntry(vault: Vault): Promise<Vault> {
  const active = (await storedIndex(vault))?.active;
  if (active === undefined || vault.entry === undefined) throw new Error('no active account is stored');
  return vault.entry(active);
}

/** What a request is, for the fault hooks. */
export function grantOf(init: RequestInit): string | undefined {
  return init.body instanceof URLSearchParams ? (init.body.get('grant_type') ?? undefined) : undefined;
}

/**
 * A `fetch` that records token-endpoint grants and revocations and lets a test
 * act before a request leaves (throw, hang) or after its answer came back
 * (lose it: throw or hang).
 */
export interface FaultFetch {
  fetch: FetchLike;
  /** `refresh_token`, `authorization_code`, `revocation`, in order of sending. */
  sent: string[];
  /** May answer in the provider's place (a gateway): the request then never reaches it. */
  before: ((url: string, init: RequestInit) => Promise<Response | void>) | undefined;
  after: ((url: string, init: RequestInit, response: Response) => Promise<Response>) | undefined;
}

export function faultFetch(): FaultFetch {
  const f: FaultFetch = {
    sent: [],
    before: undefined,
    after: undefined,
    fetch: async (url, init) => {
      const answered = await f.before?.(url, init);
      if (answered !== undefined) return answered;
      const kind = grantOf(init) ?? (url.endsWith('/token/revocation') ? 'revocation' : undefined);
      if (kind !== undefined) f.sent.push(kind);
      const response = await fetch(url, init);
      return f.after === undefined ? response : f.after(url, init, response);
    },
  };
  return f;
}

/** A library instance wired to the stack; `now` and the retry schedule are injectable like any option. */
export function authFor(stack: LocalStack, options: Partial<DesktopAuthOptions> = {}): DesktopAuth {
  return createDesktopAuth({
    logger: recordingLogger(),
    retrySchedule: [20, 50],
    openBrowser: async () => {
      throw new Error('this instance must not open the browser');
    },
    ...options,
    config: stack.config,
  });
}

/**
 * Signs alice in with `auth`, playing the system browser in `page`: logs in,
 * or only consents, or nothing when the provider still knows her. One page
 * serves every sign-in of a file: closing a page right after the loopback
 * listener answered and closed sometimes never resolves in Playwright.
 */
export async function signInAlice(
  page: Page,
  build: (openBrowser: (url: string) => Promise<void>) => DesktopAuth,
): Promise<{ auth: DesktopAuth; profile: Profile }> {
  let navigation: Promise<void> = Promise.resolve();
  const auth = build(async (url) => {
    navigation = (async () => {
      await page.goto(url);
      await finishInteraction(page, alice);
    })();
  });
  try {
    const profile = await auth.signIn();
    await navigation;
    return { auth, profile };
  } catch (error) {
    // A refused sign-in: the page's own waiting is no longer of interest.
    navigation.catch(() => {});
    throw error;
  }
}

/** Resolves once `auth` reaches `state` (at once if it is there). */
export function reachState(auth: DesktopAuth, state: DesktopAuth['state']): Promise<void> {
  if (auth.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const off = auth.onStateChange((s) => {
      if (s === state) {
        off();
        resolve();
      }
    });
  });
}

/** The DPoP key a stored session entry keeps beside its refresh token (RFC 9449 §5). */
export interface SessionKey {
  alg: string;
  /** The private JWK, public members included. */
  jwk: JWK;
}

/**
 * The DPoP key of a stored session entry. Against the local provider every session is
 * DPoP-bound (the library's `dpop: 'auto'`), so an entry without one is a failure.
 */
export function storedSessionKey(value: string | undefined): SessionKey {
  const dpop = value === undefined ? undefined : (JSON.parse(value) as { dpop?: SessionKey }).dpop;
  if (dpop === undefined) throw new Error('the stored session has no DPoP key: is it DPoP-bound?');
  return { alg: dpop.alg, jwk: dpop.jwk };
}

/** A DPoP proof (RFC 9449 §4.2) of `key` for `GET url` with `token`, on the true clock. */
async function proofFor(key: SessionKey, url: string, token: string): Promise<string> {
  const { d: _private, ...publicJwk } = key.jwk;
  return new SignJWT({
    htm: 'GET',
    htu: url,
    jti: randomUUID(),
    ath: createHash('sha256').update(token).digest('base64url'),
  })
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: publicJwk })
    .setIssuedAt()
    .sign(await importJWK(key.jwk, key.alg));
}

/**
 * Calls an API's `GET /private` directly with a DPoP-bound access token, as the library does:
 * `Authorization: DPoP` and a fresh proof of the session's key. (Sent as Bearer, a bound token
 * is refused by design, RFC 9449 §7.2; an API other than the configured one is out of the
 * library's reach, so the drills call it themselves.)
 */
export async function callPrivate(apiUrl: string, token: string, key: SessionKey): Promise<Response> {
  const url = `${apiUrl}/private`;
  return fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: await proofFor(key, url, token) } });
}

/** Lets pending timers and I/O run (for "nothing more happens" checks; not a timing threshold). */
export function settle(ms = 100): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `predicate` holds, checking every few milliseconds (no time limit but the test's own). */
export function until(predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (predicate()) resolve();
      else setTimeout(check, 5);
    };
    check();
  });
}
