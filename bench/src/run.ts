// `npm run bench`: every figure of docs/benchmarks.md, measured on loopback, then written there.
// `npm run bench:smoke`: a very short run that only checks everything works; writes nothing.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { measureAuthCheck } from './auth-check.ts';
import { measureDpopCheck } from './dpop-check.ts';
import type { AuthCheckPlan } from './auth-check.ts';
import { renderReport } from './report.ts';
import { measureSignatureCheck } from './signature-check.ts';
import type { SignatureCheckPlan } from './signature-check.ts';
import { measureSignIn } from './sign-in.ts';
import type { SignInPlan } from './sign-in.ts';
import { measureTokenCheck } from './token-check.ts';
import type { TokenCheckPlan } from './token-check.ts';

const smoke = process.argv.includes('--smoke');

const plan: {
  signatureCheck: SignatureCheckPlan;
  authCheck: AuthCheckPlan;
  tokenCheck: TokenCheckPlan;
  signIn: SignInPlan;
} = smoke
  ? {
      signatureCheck: { rounds: 1, tokensPerRound: 500, concurrency: 50 },
      authCheck: { rounds: 1, rememberedCalls: 2_000, firstSeenTokens: 200 },
      tokenCheck: {
        rounds: 1,
        secondsPerRun: 1,
        connections: 10,
        firstSeenTokens: 8_000,
        firstSeenSeconds: 1,
        floodSeconds: 1,
      },
      signIn: {
        restoreRuns: 2,
        restoreRunsWithLatency: 1,
        latencyMs: 25,
        concurrency: [1, 10],
        repetitions: 1,
      },
    }
  : {
      signatureCheck: { rounds: 5, tokensPerRound: 10_000, concurrency: 50 },
      authCheck: { rounds: 5, rememberedCalls: 200_000, firstSeenTokens: 10_000 },
      tokenCheck: {
        rounds: 5,
        secondsPerRun: 5,
        connections: 50,
        firstSeenTokens: 20_000,
        firstSeenSeconds: 2,
        floodSeconds: 5,
      },
      signIn: {
        restoreRuns: 20,
        restoreRunsWithLatency: 10,
        latencyMs: 25,
        concurrency: [1, 10, 100, 1000],
        repetitions: 5,
      },
    };

const log = (line: string) => console.log(`[bench] ${line}`);
const started = new Date();
// Other work on the machine inflates every figure; the report says how busy it was.
const loadAverage = os.loadavg();
// First, while no server runs: this one measures its own process.
const signatureCheck = await measureSignatureCheck(plan.signatureCheck, log);
const authCheck = await measureAuthCheck(plan.authCheck, log);
const tokenCheck = await measureTokenCheck(plan.tokenCheck, log);
const signIn = await measureSignIn(plan.signIn, log);
const dpopSection = await measureDpopCheck(smoke, log);

const problems: string[] = [];
for (const target of tokenCheck.targets) {
  for (const run of target.runs) {
    if (run.non2xx + run.errors + run.timeouts > 0) problems.push(`${target.name}: failed requests`);
    if (run.requests === 0) problems.push(`${target.name}: no requests`);
  }
}
for (const run of tokenCheck.firstSeen) {
  if (run.non2xx + run.errors + run.timeouts > 0) problems.push('first-seen tokens: failed requests');
}
for (const { name, run } of tokenCheck.flood) {
  if (run.ok2xx > 0) problems.push(`unknown-kid flood ${name}: a forged token passed`);
}
for (const figures of signIn.restore) {
  if (figures.cached && figures.requests.some((r) => r.includes('/.well-known/'))) {
    problems.push('restore() with the provider cache made a discovery request');
  }
}
for (const figures of signIn.refresh) {
  if (figures.refreshRequests.some((count) => count !== 1)) {
    problems.push(`${figures.concurrency} concurrent callers: not exactly one refresh request`);
  }
}

const report = `${renderReport({
  plan,
  signatureCheck,
  authCheck,
  tokenCheck,
  signIn,
  started,
  loadAverage,
  smoke,
})}${dpopSection}`;
if (smoke) {
  console.log(report);
} else {
  const target = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
  await writeFile(target, report);
  log(`wrote ${target}`);
}
if (problems.length > 0) {
  console.error(`[bench] problems:\n  ${problems.join('\n  ')}`);
  process.exitCode = 1;
}
