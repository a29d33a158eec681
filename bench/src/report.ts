// Renders the measured figures as docs/benchmarks.md.
import os from 'node:os';
import type { AuthCheckPlan, AuthCheckResults } from './auth-check.ts';
import type { SignatureCheckPlan, SignatureCheckResults } from './signature-check.ts';
import type { SignInPlan, SignInResults } from './sign-in.ts';
import { median } from './token-check.ts';
import type { Run, TargetKey, TokenCheckPlan, TokenCheckResults } from './token-check.ts';

export interface ReportInput {
  plan: {
    signatureCheck: SignatureCheckPlan;
    authCheck: AuthCheckPlan;
    tokenCheck: TokenCheckPlan;
    signIn: SignInPlan;
  };
  signatureCheck: SignatureCheckResults;
  authCheck: AuthCheckResults;
  tokenCheck: TokenCheckResults;
  signIn: SignInResults;
  started: Date;
  /** `os.loadavg()` when the run started. */
  loadAverage: number[];
  smoke: boolean;
}

const int = (value: number) => Math.round(value).toLocaleString('en-US');
const fixed = (value: number, digits = 1) => value.toFixed(digits);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const med = (runs: Run[], pick: (run: Run) => number) => median(runs.map(pick));

/** Target met or not, with the figure. */
const verdict = (ok: boolean) => (ok ? '**met**' : '**missed**');

/** The API's section: the servers side by side, the check alone, first-seen tokens, the targets. */
function renderApi({ plan, signatureCheck, authCheck, tokenCheck }: ReportInput): string[] {
  const { targets, ratiosPerRound, firstSeen, flood } = tokenCheck;
  const runsOf = (key: TargetKey) => targets.find((target) => target.key === key)?.runs ?? [];
  const cpu = (runs: Run[]) => med(runs, (run) => run.cpuMicrosPerRequest);
  const rps = (runs: Run[]) => med(runs, (run) => run.requestsPerSecond);
  const expressCpu = cpu(runsOf('express'));
  const shippedCpu = cpu(runsOf('shipped'));
  const aboveExpress = shippedCpu - expressCpu;
  const vsSeed = median(ratiosPerRound.map((r) => r.privateVsSeed));
  const expressVsSeed = rps(runsOf('express')) / rps(runsOf('seed'));
  // In process (auth-check.ts): the middleware alone, the harness subtracted round by round.
  const inProcess = (values: number[]) => median(values.map((v, i) => v - (authCheck.baseline[i] ?? 0)));
  const rememberedInProcess = inProcess(authCheck.remembered);
  const firstSeenInProcess = inProcess(authCheck.firstSeen);
  const cacheOffInProcess = inProcess(authCheck.cacheOff);
  const floor = median(signatureCheck.floor);
  const joseCheck = median(signatureCheck.jose);
  const apiCheck = median(signatureCheck.api);
  const serial = signatureCheck.oneAtATime;
  const serialFloor = median(serial.floor);
  const serialJose = median(serial.jose);
  const serialCached = median(serial.cached);
  const fastPathEstimate = median(serial.fastPathEstimate);
  // End to end, a first-seen request against one with a remembered token (both log, both on
  // the same API): what checking a new token adds.
  const firstSeenAdds = cpu(firstSeen) - shippedCpu;
  const steadyFetches = sum(runsOf('shipped').map((run) => run.jwksFetches));
  const apiFlood = flood.find((entry) => entry.cooldownSeconds !== undefined);
  const floodBound =
    apiFlood === undefined ? 0 : Math.ceil(apiFlood.run.seconds / (apiFlood.cooldownSeconds ?? 1));
  const { tokenCheck: tc, signatureCheck: sc, authCheck: ac } = plan;
  const rounds = (values: number[]) => values.map((v) => fixed(v)).join(', ');

  const lines = [
    '## The API token check',
    '',
    `**Method.** A fake issuer in the orchestrating process serves discovery and a JWKS (one RSA-2048 key) and signs ` +
      'RS256 access tokens (RFC 9068, `typ: at+jwt`, 1 h lifetime). **The API runs exactly as ' +
      '`npm run start -w @electron-oidc/api` starts it**: `node src/main.ts` in `apps/api` on the same Node, configured ' +
      'by the environment, its request log on (one JSON line per request, pino, asynchronous) to a stdout pipe that the ' +
      'orchestrator drains as a log collector would; its CPU time (user + system) is read from `/proc/<pid>/stat` before ' +
      'and after each load. The reference servers run in child processes that report `process.cpuUsage()` over IPC and ' +
      'log nothing. **CPU µs/request** is a server’s own CPU time divided by the requests it answered. The load generator ' +
      '(autocannon) runs in another child process. ' +
      `${tc.rounds} interleaved rounds (the order of the targets rotates each round) of ${tc.secondsPerRun} s per target, ` +
      `${tc.connections} connections, after a 1 s warm-up per target; the table gives the **median over rounds** ` +
      '(latency: the median of the per-run p50 and p99), and errors, non-2xx and JWKS fetches **summed** over all rounds. ' +
      'Every request to every server carries the same valid token (steady state: a remembered token), byte for byte; ' +
      '`/public` gets none.',
    '',
    '- Bare Express 5 answers the same JSON with `Cache-Control: no-store` through `res.set().json()`, with no auth and no log.',
    '- The seed stack is the article’s code: `express-jwt` with `jwks-rsa`’s `expressJwtSecret` (cache on, rate limit 5/min).',
    '- `express-oauth2-jwt-bearer` with `requiredScopes("read:messages")`, the same check as the API’s.',
    '- `LOG_LEVEL=silent` is the one row with a feature turned off: the same process with its request log off.',
    '- `TOKEN_CACHE=off`: the full check (jose `jwtVerify`) on every request.',
    tokenCheck.before === undefined
      ? ''
      : `- "Before this change" is the earlier checkout's \`src/main.ts\` (\`${tokenCheck.before}\`), started the same way: ` +
        'its hand-written node:crypto check, its synchronous `process.stdout.write` log line per request, `res.json` with an ETag.',
    '',
    '| Target | req/s | p50 ms | p99 ms | CPU µs/req | µs above bare Express | errors + non-2xx | JWKS fetches |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...targets.map(({ name, runs }) => {
      const above = cpu(runs) - expressCpu;
      return (
        `| ${name} | ${int(rps(runs))} | ${fixed(med(runs, (r) => r.latencyP50Ms))} | ${fixed(med(runs, (r) => r.latencyP99Ms))} | ` +
        `${fixed(cpu(runs))} | ${above >= 0 ? '+' : ''}${fixed(above)} | ${int(sum(runs.map((r) => r.errors + r.timeouts + r.non2xx)))} | ` +
        `${int(sum(runs.map((r) => r.jwksFetches)))} |`
      );
    }),
    '',
    `The shipped API wrote ${int(tokenCheck.shippedLogLines)} log lines during the run (its start line, one per request).`,
    '',
    `Per round, the shipped API’s \`/private\` req/s ÷ the seed stack’s: ${ratiosPerRound.map((r) => fixed(r.privateVsSeed, 2)).join(', ')}; ` +
      `÷ bare Express’s: ${ratiosPerRound.map((r) => fixed(r.privateVsExpress, 2)).join(', ')}.`,
    '',
    '### The signature check alone: the RS256 floor, jose, and the API’s verifier',
    '',
    `In the orchestrating process, before any server starts: ${int(sc.tokensPerRound)} distinct valid RS256 tokens, ` +
      `${sc.concurrency} checks in flight, ${sc.rounds} rounds, the order rotating. CPU µs (user + system, thread pool ` +
      'included) per token, median over rounds (per round in brackets):',
    '',
    `- the floor, node:crypto \`crypto.verify\` of the signing input with a \`KeyObject\` (the RSA operation alone, ` +
      `synchronous, nothing checked but the signature): **${fixed(floor)} µs** (${rounds(signatureCheck.floor)})`,
    `- jose \`jwtVerify\` (WebCrypto), keys from jose’s remote JWKS, the API’s options: **${fixed(joseCheck)} µs** (${rounds(signatureCheck.jose)})`,
    `- the API’s verifier (\`createAccessTokenVerifier\`: the header policy, the issuer keys from jose’s remote JWKS, the ` +
      'signature by the node:crypto fast path, jose’s `UnsecuredJWT.decode` for the claims, the ID-token check, the ' +
      `scopes): **${fixed(apiCheck)} µs** (${rounds(signatureCheck.api)})`,
    '',
    'The same tokens **one at a time** (one check in flight, as a first-seen request meets an idle server, and as the ' +
      'middleware below is measured): each WebCrypto check is then a job handed to the thread pool and a wake-up of the ' +
      'main thread when it is done, paid per token instead of shared by 50; the fast path’s `crypto.verify` runs on the ' +
      'main thread, no hand-off.',
    '',
    `- the floor: **${fixed(serialFloor)} µs** (${rounds(serial.floor)})`,
    `- jose \`jwtVerify\`: **${fixed(serialJose)} µs** (${rounds(serial.jose)})`,
    `- the API’s verifier (the fast path): **${fixed(median(serial.api))} µs** (${rounds(serial.api)})`,
    `- the API’s verifier behind its token cache (each token verified, then remembered): **${fixed(serialCached)} µs** ` +
      `(${rounds(serial.cached)})`,
    `- the estimate the fast path was built on (the floor, then \`UnsecuredJWT.decode\` with the same options; no header ` +
      `policy, key lookup or ID-token check): **${fixed(fastPathEstimate)} µs** (${rounds(serial.fastPathEstimate)})`,
    '',
    '### Decision: a node:crypto fast path for the signature, behind a differential test against jose',
    '',
    'Until 2026-12-03 the API had its own node:crypto check that also copied jose’s claim validation message for message; ' +
      'it was replaced by jose’s `jwtVerify` (owned by a well-kept library), which cost a first-seen token about 40 µs ' +
      'over the RSA floor one token at a time (WebCrypto’s thread-pool job and wake-up, jose’s base64url decoding and ' +
      'claims; CPU profile of `bench/src/profile-first-seen.ts`), and missed issue 15’s first-seen target by 44.4 µs. ' +
      'Now `apps/api/src/auth/fast-signature.ts` checks the signature with node:crypto’s synchronous `crypto.verify` ' +
      '(RS256/384/512, PS256/384/512 with the salt exactly as long as the hash, ES256/384/512 as R‖S, EdDSA with ' +
      'Ed25519), the key chosen by the same jose remote JWKS behind the same header policy, and only if it is a public ' +
      '`CryptoKey` jose itself would use for that `alg` (algorithm, hash, curve, `verify` usage, RSA ≥ 2048 bits); the ' +
      'claims are jose’s own checks (`UnsecuredJWT.decode` of a rebuilt `alg: none` header carrying the token’s `typ`, with ' +
      'the options `jwtVerify` gets), not a copy. Every token it has not been proven on goes to jose’s `jwtVerify`, which ' +
      'then decides alone: other spellings jose decodes leniently (padding, whitespace, the standard alphabet), tokens ' +
      'over 16 KiB, `crit` and `b64`, an `alg` outside the allowlist, a key jose would refuse. The guard is ' +
      '`apps/api/test/auth/differential.test.ts`, in the normal suite: 10,000 seeded tokens per run (valid ones of every ' +
      'algorithm and key, and mutations of header, claims, encodings, signatures, algorithms and keys), each checked by ' +
      'the shipped path and by `jwtVerify` with the same options and key set; it fails on any difference in accept or ' +
      'refuse, payload and header, or error (class, code, claim, message), and it fails when the fast path is broken on ' +
      'purpose (signature skipped, allowlist skipped, PSS salt “auto”, `typ` dropped, 1024-bit RSA allowed, key ' +
      'algorithm unchecked).',
    '',
    `In this run, one token at a time: the floor ${fixed(serialFloor)} µs, jose \`jwtVerify\` ${fixed(serialJose)} µs, ` +
      `the API’s verifier on the fast path ${fixed(median(serial.api))} µs, behind the token cache ` +
      `${fixed(serialCached)} µs; with 50 in flight the floor ${fixed(floor)} µs, jose ${fixed(joseCheck)} µs, the API’s ` +
      `verifier ${fixed(apiCheck)} µs.`,
    '',
    '### The auth middleware alone, in process',
    '',
    `What \`GET /private\` runs before its handler (\`privateRouteAuth\`, as \`createApi\` mounts it), called in the ` +
      'orchestrating process on requests built as Node’s HTTP server builds them, one at a time, with no socket, parser, ' +
      'response or load generator in between; the same harness around a middleware that lets every request through is ' +
      `measured in each round and subtracted. ${ac.rounds} rounds; ${int(ac.rememberedCalls)} calls with one remembered ` +
      `token, ${int(ac.firstSeenTokens)} distinct first-seen tokens (with the cache, and with \`TOKEN_CACHE=off\`). ` +
      'CPU µs per request, median over rounds (per round, before subtracting, in brackets):',
    '',
    `- harness alone: ${fixed(median(authCheck.baseline))} µs (${rounds(authCheck.baseline)})`,
    `- a remembered token: **${fixed(rememberedInProcess)} µs** (${rounds(authCheck.remembered)})`,
    `- a first-seen token (verified, then remembered): **${fixed(firstSeenInProcess)} µs** (${rounds(authCheck.firstSeen)})`,
    `- \`TOKEN_CACHE=off\` (verified every time): **${fixed(cacheOffInProcess)} µs** (${rounds(authCheck.cacheOff)})`,
    '',
    '### First-seen tokens and the unknown-`kid` flood',
    '',
    `**First-seen:** every request carries a distinct valid token the API has never verified (${int(tc.firstSeenTokens)} ` +
      `pre-signed tokens, ${tc.firstSeenSeconds} s per round, ${firstSeen.length} rounds after one warm-up round). This runs ` +
      'on the API built as `src/main.ts` builds it (`createApi` with the configured logger, logging to a drained pipe) in an ' +
      'IPC child, whose token cache is emptied before each round. ' +
      `Median: ${int(rps(firstSeen))} req/s, p50 ${fixed(med(firstSeen, (r) => r.latencyP50Ms))} ms, ` +
      `p99 ${fixed(med(firstSeen, (r) => r.latencyP99Ms))} ms, **${fixed(cpu(firstSeen))} µs CPU/req** ` +
      `(${fixed(firstSeenAdds)} µs more than a remembered token on the shipped API), ` +
      `${int(sum(firstSeen.map((r) => r.errors + r.timeouts + r.non2xx)))} errors + non-2xx, ` +
      `${int(sum(firstSeen.map((r) => r.jwksFetches)))} JWKS fetches.`,
    '',
    `**Unknown-\`kid\` flood:** ${tc.floodSeconds} s of requests each naming a \`kid\` the issuer never published ` +
      '(20,000 distinct ones, cycled).',
    '',
    '| Server | requests | answered 401 | passed | JWKS fetches | CPU µs/req |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...flood.map(
      ({ name, run }) =>
        `| ${name} | ${int(run.requests)} | ${int(run.non2xx)} | ${int(run.ok2xx)} | ${int(run.jwksFetches)} | ${fixed(run.cpuMicrosPerRequest)} |`,
    ),
    '',
    '### What a request with a remembered token still costs (CPU profile)',
    '',
    '`node --cpu-prof src/main.ts` under 50 connections of `GET /private` with one token (2026-12-03, after the changes ' +
      'below; shares of the main thread’s busy time): the socket write of the answer (the kernel’s loopback send) about ' +
      '40 %; the log line about 15 % (the `fs.write` hand-off of each line to the thread pool about 10, pino’s ' +
      'serialisation, `time` and redaction about 5); Express’s per-request set-up (`app.handle`: prototypes of `req`/`res`) ' +
      'about 5 %; the token cache lookup (hashing the 700-byte token string) about 2 %; the bearer header’s syntax check ' +
      'about 3 %; garbage collection about 4 %. Removed on the way: `res.json` (stringify, content type set and re-parsed) ' +
      'and the SHA-1 ETag (fixed answers are serialised once at start-up and written with one `writeHead` + `end`, a ' +
      'string body so the head and body go out in one write); the body parser’s call and callback on a request without a ' +
      'body; the token cache’s delete and re-insert when the token is already the newest; an `Array.every` closure per ' +
      'scope check; a lower-cased copy of every header name; the synchronous `process.stdout.write` per request (now pino, ' +
      'asynchronous); the request-log middleware itself with `LOG_LEVEL=silent`.',
    '',
    '### Against the targets (issue 15)',
    '',
    '| Target | Measured | |',
    '| --- | --- | --- |',
    `| \`/private\` with a remembered token, log on: ≤ 15 µs CPU/request above bare Express 5 | ` +
      `${fixed(shippedCpu)} − ${fixed(expressCpu)} = **${fixed(aboveExpress)} µs** | ${verdict(aboveExpress <= 15)}` +
      `${aboveExpress <= 15 ? '' : ` by ${fixed(aboveExpress - 15)} µs`} |`,
    `| ≥ 2.4 × the seed stack’s throughput | **${fixed(vsSeed, 2)} ×** (median of per-round ratios; bare Express: ` +
      `${fixed(expressVsSeed, 2)} ×) | ${verdict(vsSeed >= 2.4)} |`,
    `| A first-seen token: ≤ one RS256 verification + 20 µs | in process ${fixed(firstSeenInProcess)} µs against ` +
      `${fixed(floor)} + 20 = ${fixed(floor + 20)} µs; end to end ${fixed(firstSeenAdds)} µs more than a remembered token | ` +
      `${verdict(firstSeenInProcess <= floor + 20)}${
        firstSeenInProcess <= floor + 20
          ? ''
          : ` by ${fixed(firstSeenInProcess - floor - 20)} µs: one token at a time the API’s verifier (the fast path) ` +
            `costs ${fixed(median(serial.api))} µs against a ${fixed(serialFloor)} µs floor (jose’s claim checks through ` +
            `\`UnsecuredJWT.decode\` ${fixed(fastPathEstimate - serialFloor)} µs of it, the rest the key lookup through ` +
            'the issuer keys and jose’s remote JWKS, header parsing and policy, the ID-token check and the scopes), the ' +
            `token cache adds ${fixed(serialCached - median(serial.api))} µs, and the middleware around the check the ` +
            `remaining ${fixed(firstSeenInProcess - serialCached)} µs (bearer parsing, the request, the scopes; ` +
            `${fixed(rememberedInProcess)} µs with a remembered token); jose’s \`jwtVerify\` alone costs ` +
            `${fixed(serialJose)} µs one token at a time`
      } |`,
    `| No JWKS fetch per request in steady state | ${steadyFetches} fetches in ${int(sum(runsOf('shipped').map((r) => r.requests)))} requests | ${verdict(steadyFetches === 0)} |`,
    apiFlood === undefined
      ? ''
      : `| Unknown-\`kid\` flood: ≤ 1 JWKS fetch per cooldown (${apiFlood.cooldownSeconds} s) | ${apiFlood.run.jwksFetches} in ${fixed(apiFlood.run.seconds)} s | ${verdict(apiFlood.run.jwksFetches <= Math.max(floodBound, 1))} |`,
    '',
  ];
  return lines;
}

export function renderReport(input: ReportInput): string {
  const { signIn, started, loadAverage, smoke } = input;
  const cpuModel = os.cpus()[0]?.model ?? 'unknown';
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  push(
    '# Benchmarks',
    '',
    smoke ? '> Smoke run: figures are meaningless, only that everything ran.' : '',
    `Measured ${started.toISOString().slice(0, 10)} on ${os.availableParallelism()} cores (${cpuModel}), ` +
      `${int(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}. ` +
      'Everything on loopback (127.0.0.1). ' +
      `Load average when the run started (1, 5, 15 min): ${loadAverage.map((v) => fixed(v, 2)).join(', ')}; ` +
      'other work on a machine this small inflates every CPU figure and spreads the rounds apart, so compare ' +
      'rows of one run, not figures of runs made at different times. The 2 cores are shared with other engineers’ ' +
      'builds and tests while the benchmark runs, which is what spreads the rounds below.',
    '',
    '## Reproduce',
    '',
    '```sh',
    'npm run bench          # about 8 minutes; rewrites this file',
    'npm run bench:smoke    # about 30 s; checks that everything runs, writes nothing',
    '# with an earlier checkout of the API beside it (its node_modules resolvable), as one more row:',
    'BENCH_BEFORE_API=/path/to/old/apps/api/src/main.ts npm run bench',
    '# a CPU profile of the first-seen path (the middleware, distinct tokens, one at a time):',
    'node --cpu-prof --cpu-prof-dir=/tmp/prof bench/src/profile-first-seen.ts',
    '```',
    '',
    'The code is in [`bench/src`](../bench/src): `run.ts` (plan, checks), `signature-check.ts`, `auth-check.ts`, `token-check.ts`, `servers/`, `sign-in.ts`, `report.ts`.',
    '',
    ...renderApi(input),
    '## The sign-in library (electron-oidc) against the local provider',
    '',
    'The real dev provider (`apps/dev-idp`) on loopback with a temporary data folder; one real sign-in per session first, with the ' +
      'provider’s login and consent pages driven over HTTP (cookies by hand, no browser), then fresh library instances ' +
      'sharing an in-memory vault (one per session). Each request the library makes is recorded through its `fetch` option.',
    '',
    '**Silent sign-in at start-up (`restore()`):** each run a fresh library instance, as at app launch, with or ' +
      'without `providerCache` (the discovery document kept between launches, its digest in the vault), on ' +
      `loopback and with ${signIn.restore.find((f) => f.latencyMs > 0)?.latencyMs ?? 0} ms added before each ` +
      'request (a provider across the internet). The variants alternate run by run; each has its own session. ' +
      '"Round trips" is the longest chain of requests that waited for one another.',
    '',
    '| `providerCache` | added delay per request | runs | median ms | min ms | max ms | requests | round trips |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
    ...signIn.restore.map(
      (f) =>
        `| ${f.cached ? 'yes' : 'no'} | ${f.latencyMs} ms | ${f.millis.length} | ${fixed(median(f.millis))} | ` +
        `${fixed(Math.min(...f.millis))} | ${fixed(Math.max(...f.millis))} | ` +
        `${f.requests.map((r) => `\`${r}\``).join(', ')} | ${f.roundTrips} |`,
    ),
    '',
    `The local provider sends its discovery document with ${
      signIn.discoveryCacheControl === null
        ? 'no `Cache-Control`'
        : `\`Cache-Control: ${signIn.discoveryCacheControl}\``
    }. With the provider cache, \`restore()\` makes no discovery request; the JWKS, needed to verify the ` +
      'refreshed ID token’s signature, is requested together with the refresh grant rather than after it, so ' +
      'the launch waits for one provider round trip. A provider that sends no `max-age` (or `no-store`) is ' +
      'discovered at every launch: two round trips.',
    '',
    '**Single-flight refresh:** N concurrent `getAccessToken()` calls once the access token has expired by the ' +
      'library’s clock (an injected `now`). Time until every caller has a token.',
    '',
    '| N | refresh requests (each repetition) | distinct tokens handed out | median ms | max ms |',
    '| ---: | --- | --- | ---: | ---: |',
  );
  for (const figures of signIn.refresh) {
    push(
      `| ${int(figures.concurrency)} | ${figures.refreshRequests.join(', ')} | ${figures.distinctTokens.join(', ')} | ` +
        `${fixed(median(figures.millis))} | ${fixed(Math.max(...figures.millis))} |`,
    );
  }
  push('');
  return `${lines.filter((line, index) => line !== '' || lines[index - 1] !== '').join('\n')}\n`;
}
