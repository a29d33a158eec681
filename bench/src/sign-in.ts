// The sign-in library against the real local provider: silent sign-in at start-up
// (`restore()`) and single-flight refresh under N concurrent `getAccessToken()` calls. One
// real sign-in first, with the provider's login and consent pages driven over HTTP (no browser).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startIdp } from '@electron-oidc/dev-idp';
import type { RunningIdp } from '@electron-oidc/dev-idp';
import { createDesktopAuth, silentLogger } from 'electron-oidc';
import type { DesktopAuth, FetchLike, Vault } from 'electron-oidc';
import { median } from './token-check.ts';

export interface SignInPlan {
  restoreRuns: number;
  concurrency: number[];
  repetitions: number;
}

export interface RestoreFigures {
  millis: number[];
  /** The requests one restore() made, as `METHOD /path (grant)`. */
  requests: string[];
  /** The discovery document's Cache-Control, as the provider sends it. */
  discoveryCacheControl: string | null;
}

export interface RefreshFigures {
  concurrency: number;
  /** Milliseconds until every caller had a token, per repetition. */
  millis: number[];
  /** Refresh requests per repetition (must all be 1). */
  refreshRequests: number[];
  /** Distinct tokens handed out per repetition (must all be 1). */
  distinctTokens: number[];
}

export interface SignInResults {
  restore: RestoreFigures;
  refresh: RefreshFigures[];
}

class MemoryVault implements Vault {
  readonly kind = 'bench-memory';
  readonly persistent = true;
  value: string | undefined;
  async read() {
    return this.value;
  }
  async write(value: string) {
    this.value = value;
  }
  async clear() {
    this.value = undefined;
  }
}

/**
 * Plays the user's browser with plain HTTP: follows redirects by hand, keeps cookies by
 * hand, submits alice's password on the login page and "Allow" on the consent page, and
 * finally delivers the redirect to the app's loopback listener.
 */
async function signInOverHttp(authorizationUrl: string, issuer: string): Promise<void> {
  const cookies = new Map<string, string>();
  let url = new URL(authorizationUrl);
  let init: RequestInit = {};
  for (let step = 0; step < 20; step += 1) {
    if (url.origin !== new URL(issuer).origin) {
      await (await fetch(url)).text(); // the app's loopback redirect target
      return;
    }
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const separator = pair.indexOf('=');
      cookies.set(pair.slice(0, separator), pair.slice(separator + 1));
    }
    const location = response.headers.get('location');
    const html = await response.text();
    if (location !== null) {
      url = new URL(location, url);
      init = {};
      continue;
    }
    const interaction = /^\/interaction\/([^/]+)$/.exec(url.pathname);
    if (response.status !== 200 || interaction === null) {
      throw new Error(`unexpected ${response.status} at ${url.pathname} while signing in`);
    }
    const isLogin = html.includes('name="password"');
    url = new URL(`${url.pathname}/${isLogin ? 'login' : 'confirm'}`, url);
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: isLogin ? new URLSearchParams({ username: 'alice', password: 'wonderland' }).toString() : '',
    };
  }
  throw new Error('sign-in did not finish in 20 steps');
}

/** A fetch that records each request as `METHOD /path (grant_type)`. */
function recordingFetch(): { fetch: FetchLike; requests: string[] } {
  const requests: string[] = [];
  return {
    requests,
    fetch: async (url, init) => {
      const grant = init?.body instanceof URLSearchParams ? init.body.get('grant_type') : null;
      const { pathname } = new URL(String(url));
      requests.push(`${init?.method ?? 'GET'} ${pathname}${grant === null ? '' : ` (${grant})`}`);
      return fetch(url, init);
    },
  };
}

export async function measureSignIn(plan: SignInPlan, log: (line: string) => void): Promise<SignInResults> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'electron-oidc-bench-idp-'));
  let idp: RunningIdp | undefined;
  const instances: DesktopAuth[] = [];
  try {
    idp = await startIdp({ port: 0, dataDir, env: {} });
    const { issuer } = idp;
    const vault = new MemoryVault();
    let clockOffset = 0;
    const authWith = (fetchImpl?: FetchLike) => {
      const auth = createDesktopAuth({
        config: { issuer, clientId: idp!.clientId, apiAudience: idp!.apiResource },
        vault,
        logger: silentLogger,
        ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
        now: () => Date.now() + clockOffset,
        openBrowser: (url) => signInOverHttp(url, issuer),
      });
      instances.push(auth);
      return auth;
    };

    log('signing alice in over HTTP (once)');
    await authWith().signIn();
    if (vault.value === undefined) throw new Error('the sign-in stored no session');

    // Silent sign-in at start-up: each run is a fresh library instance, as at app launch.
    const restore: RestoreFigures = { millis: [], requests: [], discoveryCacheControl: null };
    for (let run = 0; run < plan.restoreRuns; run += 1) {
      const recorder = recordingFetch();
      const auth = authWith(recorder.fetch);
      const started = performance.now();
      const state = await auth.restore();
      restore.millis.push(performance.now() - started);
      if (state !== 'signed-in') throw new Error(`restore() ended ${state}`);
      restore.requests = recorder.requests;
      auth.close();
    }
    const discovery = await fetch(`${issuer}/.well-known/openid-configuration`);
    restore.discoveryCacheControl = discovery.headers.get('cache-control');
    await discovery.text();
    log(
      `restore(): median ${median(restore.millis).toFixed(1)} ms; requests: ${restore.requests.join(', ')}`,
    );

    // N concurrent callers when the access token has expired (by the library's clock).
    const refresh: RefreshFigures[] = [];
    for (const concurrency of plan.concurrency) {
      const figures: RefreshFigures = { concurrency, millis: [], refreshRequests: [], distinctTokens: [] };
      for (let repetition = 0; repetition < plan.repetitions; repetition += 1) {
        clockOffset = 0;
        const recorder = recordingFetch();
        const auth = authWith(recorder.fetch);
        await auth.restore();
        const expiresAt = auth.accessTokenExpiresAt;
        if (expiresAt === undefined) throw new Error('no access token after restore()');
        recorder.requests.length = 0;
        clockOffset = expiresAt.getTime() - Date.now() + 1_000;
        const started = performance.now();
        const tokens = await Promise.all(Array.from({ length: concurrency }, () => auth.getAccessToken()));
        figures.millis.push(performance.now() - started);
        figures.refreshRequests.push(recorder.requests.filter((r) => r.endsWith('(refresh_token)')).length);
        figures.distinctTokens.push(new Set(tokens).size);
        auth.close();
      }
      clockOffset = 0;
      refresh.push(figures);
      log(
        `${concurrency} concurrent getAccessToken(): median ${median(figures.millis).toFixed(1)} ms, ` +
          `refresh requests ${figures.refreshRequests.join('/')}`,
      );
    }
    return { restore, refresh };
  } finally {
    for (const auth of instances) auth.close();
    await idp?.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
