// `npm run load [-- --duration <s>] [--connections <n>]`: the API under a sustained mixed load.
// The real API runs in its own process against a loopback token issuer; autocannon (here)
// rotates through a pre-built list of requests whose kinds come in known proportions: valid
// tokens, and expired, wrong-audience, garbage, malformed, missing and scope-less ones. The API
// process tallies each answer by kind and status and samples its memory every second.
// Prints a Markdown report (the figures in docs/load.md) and exits 1 if any answer was wrong.
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import type { MemorySample, Tally } from './api-process.ts';
import { LOAD_AUDIENCE, startLoadIssuer } from './issuer.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '100' },
    'token-cache': { type: 'string', default: 'on' },
  },
});
const durationSeconds = Number(values.duration);
const connections = Number(values.connections);
if (!Number.isInteger(durationSeconds) || durationSeconds < 1 || durationSeconds > 3600) {
  throw new Error(`--duration must be a whole number of seconds from 1 to 3600 (got ${values.duration})`);
}
if (!Number.isInteger(connections) || connections < 1 || connections > 10_000) {
  throw new Error(`--connections must be a whole number from 1 to 10000 (got ${values.connections})`);
}

/** The kinds of request, their share of the load (out of 100), and the status each must get. */
const KINDS = [
  { kind: 'valid', share: 50, expected: 200 },
  { kind: 'expired', share: 10, expected: 401 },
  { kind: 'wrong-audience', share: 10, expected: 401 },
  { kind: 'garbage', share: 10, expected: 401 },
  { kind: 'malformed', share: 5, expected: 400 },
  { kind: 'missing', share: 5, expected: 401 },
  { kind: 'missing-scope', share: 10, expected: 403 },
] as const;
type Kind = (typeof KINDS)[number]['kind'];
/** Distinct valid tokens in the rotation (the token cache holds 10,000). */
const DISTINCT_VALID = 2_000;

const issuer = await startLoadIssuer();
const now = Math.floor(Date.now() / 1000);
const authorization: Record<Kind, (i: number) => string | undefined> = {
  valid: () => `Bearer ${issuer.sign()}`,
  expired: () => `Bearer ${issuer.sign({ exp: now - 3600, iat: now - 7200 })}`,
  'wrong-audience': () => `Bearer ${issuer.sign({ aud: 'https://other.example' })}`,
  garbage: (i) => `Bearer not-a-jwt-${i}`,
  malformed: (i) => `Bearer two tokens-${i}`,
  missing: () => undefined,
  'missing-scope': () => `Bearer ${issuer.sign({ scope: 'openid profile' })}`,
};
// 100 slots per round, in a fixed interleaved order so every stretch of the run has the mix.
const round: Kind[] = [];
for (let slot = 0; round.length < 100; slot += 1) {
  for (const { kind, share } of KINDS) if (slot < share) round.push(kind);
}
const interleaved = Array.from({ length: 100 }, (_, i) => round[(i * 37) % 100] as Kind);
const rounds = DISTINCT_VALID / 50;
const prepared: { kind: Kind; headers: Record<string, string> }[] = [];
for (let r = 0; r < rounds; r += 1) {
  for (const [slot, kind] of interleaved.entries()) {
    const value = authorization[kind](r * 100 + slot);
    prepared.push({
      kind,
      headers: { 'x-load-kind': kind, ...(value === undefined ? {} : { authorization: value }) },
    });
  }
}

const apiFile = fileURLToPath(new URL('./api-process.ts', import.meta.url));
const api = fork(apiFile, [], {
  env: {
    ...process.env,
    ISSUER_URL: issuer.url,
    AUDIENCE: LOAD_AUDIENCE,
    HOST: '127.0.0.1',
    PORT: '0',
    TOKEN_CACHE: values['token-cache'],
  },
  execArgv: ['--expose-gc'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const samples: MemorySample[] = [];
const apiUrl = await new Promise<string>((resolve, reject) => {
  api.on('message', (message: { type: string; url?: string }) => {
    if (message.type === 'ready') resolve(message.url ?? '');
    if (message.type === 'memory') samples.push(message as MemorySample);
  });
  api.once('exit', (code) => reject(new Error(`the API process exited with ${code} before it was ready`)));
});

// Warm-up (not measured): the API discovers the issuer and fetches its JWKS on the first token.
const warm = await fetch(`${apiUrl}/private`, {
  headers: { ...prepared.find((p) => p.kind === 'valid')?.headers, 'x-load-kind': 'warm-up' },
});
if (warm.status !== 200) throw new Error(`warm-up request got ${warm.status}`);
const loadStartMs = samples.at(-1)?.atMs ?? 0;

interface Settled {
  rss: number;
  heapUsed: number;
  collected: boolean;
}
/** The API process's memory right after a full garbage collection. */
function settle(): Promise<Settled> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string } & Partial<Settled>) => {
      if (message.type !== 'settled') return;
      api.off('message', onMessage);
      resolve(message as Settled);
    };
    api.on('message', onMessage);
    api.send({ type: 'settle' });
  });
}
const settledBefore = await settle();

let next = 0;
const started = performance.now();
const result = await autocannon({
  url: `${apiUrl}/private`,
  connections,
  duration: durationSeconds,
  timeout: 10,
  requests: [
    {
      setupRequest: (request) => {
        const item = prepared[next % prepared.length];
        next += 1;
        return { ...request, headers: { ...request.headers, ...item?.headers } };
      },
    },
  ],
});
const seconds = (performance.now() - started) / 1000;

const settledAfter = await settle();
const { tally, logged } = await new Promise<{ tally: Tally; logged: number }>((resolve) => {
  const onMessage = (message: { type: string; tally?: Tally; logged?: number }) => {
    if (message.type !== 'tally') return;
    api.off('message', onMessage);
    resolve({ tally: message.tally ?? {}, logged: message.logged ?? 0 });
  };
  api.on('message', onMessage);
  api.send({ type: 'tally' });
});
api.send({ type: 'stop' });
await new Promise<void>((resolve) => api.once('exit', () => resolve()));
await issuer.close();

// ---------------------------------------------------------------------------------------------
// Report

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(1);
const during = samples.filter((s) => s.atMs >= loadStartMs);

/** Least-squares slope of `value` over time, in MB per minute. */
function slopeMbPerMinute(points: MemorySample[], value: (s: MemorySample) => number): number {
  if (points.length < 2) return 0;
  const xs = points.map((s) => s.atMs / 60_000);
  const ys = points.map((s) => value(s) / MB);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (const [i, x] of xs.entries()) {
    num += (x - mx) * ((ys[i] ?? 0) - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
const secondHalf = during.slice(Math.floor(during.length / 2));

const lines: string[] = [];
let wrong = 0;
let total = 0;
lines.push(
  '| Kind | Share | Expected | Answers | By status | Wrong |',
  '| --- | --: | --: | --: | --- | --: |',
);
for (const { kind, share, expected } of KINDS) {
  const byStatus = tally[kind] ?? {};
  const answers = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const bad = answers - (byStatus[expected] ?? 0);
  total += answers;
  wrong += bad;
  const statuses = Object.entries(byStatus)
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');
  lines.push(`| ${kind} | ${share} % | ${expected} | ${answers} | ${statuses} | ${bad} |`);
}
// The warm-up request is the only other one.
const unlabelled = Object.entries(tally).filter(([kind]) => !KINDS.some((k) => k.kind === kind));
for (const [kind, byStatus] of unlabelled) {
  lines.push(
    `| (${kind}) | | | ${Object.values(byStatus).reduce((a, b) => a + b, 0)} | ${JSON.stringify(byStatus)} | |`,
  );
}

const memoryRow = (name: string, value: (s: MemorySample) => number) => {
  const first = during[0];
  const last = during.at(-1);
  const max = Math.max(...during.map(value));
  return `| ${name} | ${first === undefined ? '-' : mb(value(first))} | ${last === undefined ? '-' : mb(value(last))} | ${mb(max)} | ${slopeMbPerMinute(during, value).toFixed(2)} | ${slopeMbPerMinute(secondHalf, value).toFixed(2)} |`;
};

const report = [
  `## Load run ${new Date().toISOString()}`,
  '',
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}.`,
  `Load: autocannon, ${connections} connections for ${durationSeconds} s against \`GET /private\` (TOKEN_CACHE=${values['token-cache']}; ${DISTINCT_VALID} distinct valid tokens in rotation, ${prepared.length} prepared requests).`,
  '',
  `- Requests answered: ${total} in ${seconds.toFixed(1)} s: **${result.requests.average.toFixed(0)} req/s** (autocannon's mean per second)`,
  `- Latency: **p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms** (mean ${result.latency.average.toFixed(2)} ms)`,
  `- Connection errors: ${result.errors}, timeouts: ${result.timeouts}`,
  `- Wrong answers (status other than the kind's expected one): **${wrong}**`,
  `- Request log entries written by the API: ${logged}`,
  '',
  ...lines,
  '',
  `Memory of the API process (${during.length} samples, one a second while under load):`,
  '',
  '| | Start (MB) | End (MB) | Max (MB) | Slope, whole run (MB/min) | Slope, second half (MB/min) |',
  '| --- | --: | --: | --: | --: | --: |',
  memoryRow('RSS', (s) => s.rss),
  memoryRow('heapUsed', (s) => s.heapUsed),
  '',
  `After a full garbage collection${settledAfter.collected ? '' : ' (not available: no --expose-gc)'}, before → after the load: ` +
    `heapUsed ${mb(settledBefore.heapUsed)} → ${mb(settledAfter.heapUsed)} MB, RSS ${mb(settledBefore.rss)} → ${mb(settledAfter.rss)} MB.`,
  '',
];
console.log(report.join('\n'));
if (wrong > 0 || result.errors > 0 || result.timeouts > 0) process.exitCode = 1;
