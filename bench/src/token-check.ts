// The API's token check under load, side by side with the reference stacks: each server in
// its own process (CPU time read from it over IPC), the load generator in another, rounds
// interleaved so that drift of the machine hits every target alike.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CpuSnapshot } from './ipc.ts';
import { BENCH_AUDIENCE, startBenchIssuer } from './issuer.ts';
import type { LoadResult, LoadSpec } from './load.ts';
import { startShippedApi } from './servers/shipped.ts';
import { startChild } from './servers/spawn.ts';
import type { Child } from './servers/spawn.ts';

export interface TokenCheckPlan {
  rounds: number;
  secondsPerRun: number;
  connections: number;
  /** Distinct pre-signed tokens per first-seen round; more than a round can use. */
  firstSeenTokens: number;
  firstSeenSeconds: number;
  floodSeconds: number;
}

/** One load against one target, with the server's CPU time and the issuer's JWKS fetches. */
export interface Run extends LoadResult {
  cpuMicrosPerRequest: number;
  jwksFetches: number;
}

export interface TargetSummary {
  key: TargetKey;
  name: string;
  runs: Run[];
}

export interface TokenCheckResults {
  targets: TargetSummary[];
  /** Per round: the shipped API's `/private` req/s ÷ the seed stack's, and ÷ bare Express's. */
  ratiosPerRound: { privateVsSeed: number; privateVsExpress: number }[];
  firstSeen: Run[];
  flood: { name: string; run: Run; cooldownSeconds: number | undefined }[];
  /** Log lines the shipped API wrote during the run (it logs every request). */
  shippedLogLines: number;
  /** Whether the optional earlier API (`BENCH_BEFORE_API`) ran beside the others. */
  before: string | undefined;
}

export type TargetKey =
  'express' | 'shipped' | 'shippedSilent' | 'shippedPublic' | 'shippedNoCache' | 'seed' | 'bearer' | 'before';

type ServerName = Exclude<TargetKey, 'shippedPublic'>;

interface Target {
  key: TargetKey;
  name: string;
  server: ServerName;
  path: string;
  /** Whether each request carries the bearer token (the route may ignore it). */
  authenticated: boolean;
}

/**
 * Every authenticated target gets the same requests, byte for byte. The API's rows are the
 * process `npm start` runs; "before" is another checkout's, started the same way.
 */
const TARGETS: Target[] = [
  {
    key: 'express',
    name: 'bare Express 5, same route, no auth',
    server: 'express',
    path: '/private',
    authenticated: true,
  },
  {
    key: 'shipped',
    name: 'API as shipped (`npm start`, log on)',
    server: 'shipped',
    path: '/private',
    authenticated: true,
  },
  {
    key: 'shippedSilent',
    name: 'API, `LOG_LEVEL=silent` (log off)',
    server: 'shippedSilent',
    path: '/private',
    authenticated: true,
  },
  {
    key: 'shippedPublic',
    name: 'API as shipped, `GET /public` (no auth)',
    server: 'shipped',
    path: '/public',
    authenticated: false,
  },
  {
    key: 'shippedNoCache',
    name: 'API as shipped, `TOKEN_CACHE=off`',
    server: 'shippedNoCache',
    path: '/private',
    authenticated: true,
  },
  {
    key: 'seed',
    name: 'seed: express-jwt + jwks-rsa',
    server: 'seed',
    path: '/private',
    authenticated: true,
  },
  {
    key: 'bearer',
    name: 'express-oauth2-jwt-bearer',
    server: 'bearer',
    path: '/private',
    authenticated: true,
  },
  {
    key: 'before',
    name: 'the API before this change, as shipped',
    server: 'before',
    path: '/private',
    authenticated: true,
  },
];

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const cpuTotal = (snapshot: CpuSnapshot) => snapshot.userMicros + snapshot.systemMicros;

export async function measureTokenCheck(
  plan: TokenCheckPlan,
  log: (line: string) => void,
): Promise<TokenCheckResults> {
  const issuer = await startBenchIssuer();
  const tmp = await mkdtemp(path.join(tmpdir(), 'electron-oidc-bench-'));
  const children: Child[] = [];
  try {
    const apiEnv = { ISSUER_URL: issuer.url, AUDIENCE: BENCH_AUDIENCE, HOST: '127.0.0.1', PORT: '0' };
    const start = async (file: string, env: Record<string, string>, options?: { drainStdout?: boolean }) => {
      const child = await startChild(file, env, options);
      children.push(child);
      return child;
    };
    const shipped = async (env: Record<string, string>, mainFile?: string) => {
      const child = await startShippedApi({ ...apiEnv, ...env }, mainFile);
      children.push(child);
      return child;
    };
    const before = process.env.BENCH_BEFORE_API;
    const shippedApi = await shipped({});
    const servers: Partial<Record<ServerName, Child>> = {
      express: await start('servers/express.ts', {}),
      shipped: shippedApi,
      shippedSilent: await shipped({ LOG_LEVEL: 'silent' }),
      shippedNoCache: await shipped({ TOKEN_CACHE: 'off' }),
      seed: await start('servers/seed.ts', { ...apiEnv, JWKS_URI: issuer.jwksUri }),
      bearer: await start('servers/oauth2-bearer.ts', apiEnv),
      ...(before === undefined ? {} : { before: await shipped({}, before) }),
    };
    // The first-seen scenario and the flood: the same API in an IPC child (its token cache can
    // be emptied), logging as shipped to a drained pipe.
    const apiChild = await start('servers/api.ts', { ...apiEnv, TOKEN_CACHE: 'on' }, { drainStdout: true });
    const targets = TARGETS.filter((target) => servers[target.server] !== undefined);
    const server = (name: ServerName): Child => {
      const child = servers[name];
      if (child === undefined) throw new Error(`no server ${name}`);
      return child;
    };
    const load = await start('load.ts', {});
    const token = issuer.sign();

    const measure = async (server: Child, spec: Omit<LoadSpec, 'connections'>): Promise<Run> => {
      const jwksBefore = issuer.requests.jwks;
      const before = await server.call<CpuSnapshot>('cpu');
      const result = await load.call<LoadResult>('load', { ...spec, connections: plan.connections });
      const after = await server.call<CpuSnapshot>('cpu');
      const requests = Math.max(result.requests, 1);
      return {
        ...result,
        cpuMicrosPerRequest: (cpuTotal(after) - cpuTotal(before)) / requests,
        jwksFetches: issuer.requests.jwks - jwksBefore,
      };
    };
    const specFor = (target: Target, seconds: number): Omit<LoadSpec, 'connections'> => ({
      url: `${server(target.server).url}${target.path}`,
      durationSeconds: seconds,
      ...(target.authenticated ? { token } : {}),
    });

    // Warm-up: JIT, the JWKS and (for the API) the token cache; not recorded.
    log('warming up');
    for (const target of targets) await measure(server(target.server), specFor(target, 1));

    const summaries: TargetSummary[] = targets.map((target) => ({
      key: target.key,
      name: target.name,
      runs: [],
    }));
    for (let round = 0; round < plan.rounds; round += 1) {
      // Rotate the order each round: no target is always first, or always after a given one.
      for (let i = 0; i < targets.length; i += 1) {
        const index = (i + round) % targets.length;
        const target = targets[index]!;
        const run = await measure(server(target.server), specFor(target, plan.secondsPerRun));
        summaries[index]!.runs.push(run);
        log(
          `round ${round + 1}/${plan.rounds} ${target.name}: ${Math.round(run.requestsPerSecond)} req/s, ` +
            `${run.cpuMicrosPerRequest.toFixed(1)} µs CPU/req`,
        );
      }
    }
    const runsOf = (key: TargetKey) => summaries.find((summary) => summary.key === key)?.runs ?? [];
    const ratiosPerRound = runsOf('shipped').map((run, round) => ({
      privateVsSeed: run.requestsPerSecond / runsOf('seed')[round]!.requestsPerSecond,
      privateVsExpress: run.requestsPerSecond / runsOf('express')[round]!.requestsPerSecond,
    }));

    // First-seen tokens: every request carries a token the API has never verified. The same
    // pre-signed tokens serve every round; the API's token cache is emptied before each.
    log(`signing ${plan.firstSeenTokens} tokens for the first-seen scenario`);
    const firstSeenFile = path.join(tmp, 'first-seen.txt');
    await writeFile(
      firstSeenFile,
      Array.from({ length: plan.firstSeenTokens }, () => issuer.sign()).join('\n'),
    );
    const firstSeen: Run[] = [];
    for (let round = 0; round <= plan.rounds; round += 1) {
      await apiChild.call('clear-token-cache');
      const run = await measure(apiChild, {
        url: `${apiChild.url}/private`,
        durationSeconds: plan.firstSeenSeconds,
        tokenFile: firstSeenFile,
        noRepeat: true,
      });
      // Had the tokens run out, the round would have been shorter than planned (and timed
      // by autocannon's 1 s ticks): too few tokens for this machine.
      if (run.requests >= plan.firstSeenTokens) {
        throw new Error(`first-seen round used all ${plan.firstSeenTokens} tokens; give it more`);
      }
      // Round 0 warms the miss path up.
      if (round > 0) firstSeen.push(run);
      log(
        `first-seen round ${round}: ${Math.round(run.requestsPerSecond)} req/s, ${run.cpuMicrosPerRequest.toFixed(1)} µs CPU/req`,
      );
    }

    // A flood of unknown kids: each request names a key the issuer never published.
    const floodFile = path.join(tmp, 'unknown-kid.txt');
    await writeFile(floodFile, Array.from({ length: 20_000 }, () => issuer.unknownKid()).join('\n'));
    const flood: TokenCheckResults['flood'] = [];
    const floodTargets: [string, Child, number | undefined][] = [
      ['API (jose remote JWKS, 30 s cooldown)', apiChild, 30],
      ['seed: jwks-rsa (rate limit 5/min)', server('seed'), undefined],
      ['express-oauth2-jwt-bearer', server('bearer'), undefined],
    ];
    for (const [name, child, cooldownSeconds] of floodTargets) {
      const run = await measure(child, {
        url: `${child.url}/private`,
        durationSeconds: plan.floodSeconds,
        tokenFile: floodFile,
      });
      flood.push({ name, run, cooldownSeconds });
      log(`unknown-kid flood ${name}: ${run.requests} requests, ${run.jwksFetches} JWKS fetches`);
    }
    return {
      targets: summaries,
      ratiosPerRound,
      firstSeen,
      flood,
      shippedLogLines: shippedApi.logLines(),
      before,
    };
  } finally {
    for (const child of children) await child.stop();
    await issuer.close();
    await rm(tmp, { recursive: true, force: true });
  }
}
