/**
 * What the fault drills share: the real provider and API on loopback (the
 * provider stoppable and restartable on the same port and data folder), the
 * library signing alice in through a real Chromium, and wrappers that make a
 * vault or the network fail, refuse or never answer at a chosen step.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApi } from '@electron-oidc/api';
import type { RunningApi } from '@electron-oidc/api';
import { startIdp } from '@electron-oidc/dev-idp';
import type { IdpOptions, RunningIdp } from '@electron-oidc/dev-idp';
import { completeLogin } from '@electron-oidc/test-support';
import { createDesktopAuth } from 'electron-oidc';
import type { DesktopAuth, DesktopAuthOptions, FetchLike, Logger, Profile, Vault } from 'electron-oidc';
import type { Page } from 'playwright-core';

export const alice = { username: 'alice', password: 'wonderland' };

/** A promise that never settles: "the process died here". */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

/** A logger that keeps its lines for assertions. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
}

/** An in-memory vault that outlives library instances, as the keychain does across launches. */
export class TestVault implements Vault {
  readonly kind = 'test-memory';
  readonly persistent = true;
  value: string | undefined;
  async read(): Promise<string | undefined> {
    return this.value;
  }
  async write(value: string): Promise<void> {
    this.value = value;
  }
  async clear(): Promise<void> {
    this.value = undefined;
  }
}

/** The refresh token inside a stored entry (tests only). */
export function storedRefreshToken(value: string | undefined): string | undefined {
  return value === undefined ? undefined : (JSON.parse(value) as { refresh_token: string }).refresh_token;
}

/** How a vault operation misbehaves: refuses (rejects), hangs (the process died in it), or lands then hangs. */
export type VaultFault = 'throw' | 'hang' | 'land-then-hang';

/** Wraps a vault so that reads, writes or clears start failing on demand. */
export class FaultyVault implements Vault {
  readonly kind: string;
  readonly persistent: boolean;
  readonly inner: Vault;
  faults: { read?: VaultFault; write?: VaultFault; clear?: VaultFault } = {};
  readonly calls: string[] = [];

  constructor(inner: Vault) {
    this.inner = inner;
    this.kind = inner.kind;
    this.persistent = inner.persistent;
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

/** The provider and the API on ephemeral loopback ports. */
export interface Stack {
  idp: RunningIdp;
  issuer: string;
  api: RunningApi;
  dataDir: string;
  idpRunning: boolean;
  /** Stops the provider only (the port stays known, the data folder stays). */
  stopIdp(): Promise<void>;
  /** Starts the provider again on the same port and data folder. */
  startIdp(): Promise<void>;
  /** Another API against this issuer, closed with the stack. */
  startApi(options?: { tokenCache?: 'on' | 'off' }): Promise<RunningApi>;
  close(): Promise<void>;
}

export async function startStack(
  options: { dataDir?: string } & Pick<IdpOptions, 'accessTokenTtl'> = {},
): Promise<Stack> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'faults-idp-')));
  const idpOptions: IdpOptions = { port: 0, dataDir, env: {}, accessTokenTtl: options.accessTokenTtl };
  const idp = await startIdp(idpOptions);
  const apis: RunningApi[] = [];
  const newApi = async (o: { tokenCache?: 'on' | 'off' } = {}) => {
    const api = await startApi(
      { issuer: idp.issuer, audience: idp.apiResource, port: 0, ...o },
      { log: () => {} },
    );
    apis.push(api);
    return api;
  };
  const stack: Stack = {
    idp,
    issuer: idp.issuer,
    api: await newApi(),
    dataDir,
    idpRunning: true,
    async stopIdp() {
      if (stack.idpRunning) await stack.idp.close();
      stack.idpRunning = false;
    },
    async startIdp() {
      if (stack.idpRunning) return;
      stack.idp = await startIdp({ ...idpOptions, port: idp.port });
      stack.idpRunning = true;
    },
    startApi: newApi,
    async close() {
      await Promise.all(apis.map((api) => api.close()));
      await stack.stopIdp();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}

/** A library instance wired to the stack; `now` and the retry schedule are injectable like any option. */
export function authFor(stack: Stack, options: Partial<DesktopAuthOptions> = {}): DesktopAuth {
  return createDesktopAuth({
    logger: recordingLogger(),
    retrySchedule: [20, 50],
    openBrowser: async () => {
      throw new Error('this instance must not open the browser');
    },
    ...options,
    config: {
      issuer: stack.issuer,
      clientId: stack.idp.clientId,
      apiAudience: stack.idp.apiResource,
      apiBaseUrl: stack.api.url,
    },
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
      if (!new URL(page.url()).pathname.startsWith('/interaction/')) return;
      if ((await page.getByLabel('Username').count()) > 0) {
        await completeLogin(page, alice);
        return;
      }
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL(
        (u) => !u.pathname.startsWith('/interaction/') && !u.pathname.startsWith('/auth'),
        { waitUntil: 'commit' },
      );
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

/** Calls the API directly with a bearer token. */
export async function callPrivate(apiUrl: string, token: string): Promise<Response> {
  return fetch(`${apiUrl}/private`, { headers: { authorization: `Bearer ${token}` } });
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
