// The sign-in library against the real local provider: silent sign-in at start-up
// (`restore()`) and single-flight refresh under N concurrent `getAccessToken()` calls. One
// real sign-in first, with the provider's login and consent pages driven over HTTP (no browser).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startIdp } from '@electron-oidc/dev-idp';
import type { RunningIdp } from '@electron-oidc/dev-idp';
import { createDesktopAuth, fileProviderCache } from 'electron-oidc';
import type { DesktopAuth, FetchLike, ProviderCacheStore, Vault } from 'electron-oidc';
import { silentLogger } from 'electron-oidc/config';
import { median } from './token-check.ts';

export interface SignInPlan {
  restoreRuns: number;
  /** Runs per variant with a simulated network delay added to each request. */
  restoreRunsWithLatency: number;
  /** The simulated delay per request (ms), standing for a provider across the internet. */
  latencyMs: number;
  concurrency: number[];
  repetitions: number;
}

/** One way of launching: with or without the provider cache, on loopback or with a delay per request. */
export interface RestoreFigures {
  /** Whether the app keeps the discovery document (`providerCache`). */
  cached: boolean;
  /** The delay added to each request (ms). */
  latencyMs: number;
  millis: number[];
  /** The requests one restore() made, as `METHOD /path (grant)`, in the order they started. */
  requests: string[];
  /** Requests that had to wait for one another: the longest chain (1 = all at once). */
  roundTrips: number;
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
  restore: RestoreFigures[];
  /** The discovery document's Cache-Control, as the provider sends it. */
  discoveryCacheControl: string | null;
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

interface RecordedRequest {
  what: string;
  started: number;
  ended: number;
}

/**
 * A fetch that records each request as `METHOD /path (grant_type)` with when it started and
 * when its answer arrived, optionally after a delay standing for the network.
 */
function recordingFetch(latencyMs = 0): { fetch: FetchLike; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  return {
    requests,
    fetch: async (url, init) => {
      const grant = init?.body instanceof URLSearchParams ? init.body.get('grant_type') : null;
      const { pathname } = new URL(String(url));
      const entry = {
        what: `${init?.method ?? 'GET'} ${pathname}${grant === null ? '' : ` (${grant})`}`,
        started: performance.now(),
        ended: Number.NaN,
      };
      requests.push(entry);
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      const response = await fetch(url, init);
      entry.ended = performance.now();
      return response;
    },
  };
}

/** The longest chain of requests where each started only after the one before it had its answer. */
export function longestChain(requests: readonly RecordedRequest[]): number {
  const depth = new Map<RecordedRequest, number>();
  for (const request of [...requests].sort((a, b) => a.started - b.started)) {
    let before = 0;
    for (const [other, d] of depth) if (other.ended <= request.started) before = Math.max(before, d);
    depth.set(request, before + 1);
  }
  return Math.max(0, ...depth.values());
}

export async function measureSignIn(plan: SignInPlan, log: (line: string) => void): Promise<SignInResults> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'electron-oidc-bench-idp-'));
  let idp: RunningIdp | undefined;
  const instances: DesktopAuth[] = [];
  try {
    idp = await startIdp({ port: 0, dataDir, env: {} });
    const { issuer } = idp;
    let clockOffset = 0;
    // The session of the single-flight measurement below.
    const refreshVault = new MemoryVault();
    const authWith = (
      options: { vault: MemoryVault; fetch?: FetchLike; providerCache?: ProviderCacheStore } = {
        vault: refreshVault,
      },
    ) => {
      const auth = createDesktopAuth({
        config: { issuer, clientId: idp!.clientId, apiAudience: idp!.apiResource },
        logger: silentLogger,
        now: () => Date.now() + clockOffset,
        openBrowser: (url) => signInOverHttp(url, issuer),
        ...options,
      });
      instances.push(auth);
      return auth;
    };

    // Silent sign-in at start-up: each run is a fresh library instance, as at app launch. Each
    // variant has its own session (one sign-in over HTTP), so that one variant's launches never
    // change what the other finds in its vault; the runs of the variants alternate.
    const variants = [
      { cached: true, latencyMs: 0, runs: plan.restoreRuns },
      { cached: false, latencyMs: 0, runs: plan.restoreRuns },
      { cached: true, latencyMs: plan.latencyMs, runs: plan.restoreRunsWithLatency },
      { cached: false, latencyMs: plan.latencyMs, runs: plan.restoreRunsWithLatency },
    ];
    type LaunchOptions = { vault: MemoryVault; providerCache?: ProviderCacheStore };
    const sessions: Array<{
      variant: (typeof variants)[number];
      options: LaunchOptions;
      figures: RestoreFigures;
    }> = [];
    for (const [index, variant] of variants.entries()) {
      const vault = new MemoryVault();
      const options: LaunchOptions = variant.cached
        ? { vault, providerCache: fileProviderCache(path.join(dataDir, `provider-cache-${index}.json`)) }
        : { vault };
      await authWith(options).signIn();
      if (vault.value === undefined) throw new Error('the sign-in stored no session');
      const figures: RestoreFigures = { ...variant, millis: [], requests: [], roundTrips: 0 };
      sessions.push({ variant, options, figures });
    }
    log('signed alice in over HTTP (once per variant)');
    for (let run = 0; run < Math.max(...variants.map((v) => v.runs)); run += 1) {
      for (const { variant, options, figures } of sessions) {
        if (run >= variant.runs) continue;
        const recorder = recordingFetch(variant.latencyMs);
        const auth = authWith({ ...options, fetch: recorder.fetch });
        const started = performance.now();
        const state = await auth.restore();
        figures.millis.push(performance.now() - started);
        if (state !== 'signed-in') throw new Error(`restore() ended ${state}`);
        figures.requests = recorder.requests.map((r) => r.what);
        figures.roundTrips = longestChain(recorder.requests);
        auth.close();
      }
    }
    const restore = sessions.map((s) => s.figures);
    for (const figures of restore) {
      log(
        `restore() ${figures.cached ? 'with' : 'without'} provider cache, +${figures.latencyMs} ms per request: ` +
          `median ${median(figures.millis).toFixed(1)} ms; ${figures.roundTrips} round trip(s): ${figures.requests.join(', ')}`,
      );
    }
    const discovery = await fetch(`${issuer}/.well-known/openid-configuration`);
    const discoveryCacheControl = discovery.headers.get('cache-control');
    await discovery.text();

    await authWith().signIn();
    if (refreshVault.value === undefined) throw new Error('the sign-in stored no session');

    // N concurrent callers when the access token has expired (by the library's clock).
    const refresh: RefreshFigures[] = [];
    for (const concurrency of plan.concurrency) {
      const figures: RefreshFigures = { concurrency, millis: [], refreshRequests: [], distinctTokens: [] };
      for (let repetition = 0; repetition < plan.repetitions; repetition += 1) {
        clockOffset = 0;
        const recorder = recordingFetch();
        const auth = authWith({ vault: refreshVault, fetch: recorder.fetch });
        await auth.restore();
        const expiresAt = auth.accessTokenExpiresAt;
        if (expiresAt === undefined) throw new Error('no access token after restore()');
        recorder.requests.length = 0;
        clockOffset = expiresAt.getTime() - Date.now() + 1_000;
        const started = performance.now();
        const tokens = await Promise.all(Array.from({ length: concurrency }, () => auth.getAccessToken()));
        figures.millis.push(performance.now() - started);
        figures.refreshRequests.push(
          recorder.requests.filter((r) => r.what.endsWith('(refresh_token)')).length,
        );
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
    return { restore, discoveryCacheControl, refresh };
  } finally {
    for (const auth of instances) auth.close();
    await idp?.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
